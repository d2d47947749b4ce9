// One-line messages for tools (never used inside a target's call path).
#pragma once

#include <sys/types.h>

#include <string>

namespace faultline::cp::detail {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string errno_text(int err);
// "segment <path> belongs to uid <uid>; run as that user or root"
std::string foreign_owner_reason(const char* path, uid_t uid);
// The caller may use a segment owned by `uid`.
bool may_use(uid_t uid) noexcept;

}  // namespace faultline::cp::detail
