// The host-name glob of a dns fault (`--host GLOB`): `*` matches any run of
// characters (dots included, so "*.example.com" covers every subdomain),
// `?` any one character, everything else itself, ignoring ASCII case as DNS
// does. One trailing dot (a fully qualified "db.internal.") is the same name
// as without it, on either side. No allocation, no recursion: a match costs
// at most glob length x host length steps.
#pragma once

#include <string_view>

namespace faultline::shim {

bool host_glob_matches(std::string_view glob, std::string_view host) noexcept;

}  // namespace faultline::shim
