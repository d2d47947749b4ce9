#include "faultline/shim/host_glob.h"

#include <cstddef>

namespace faultline::shim {
namespace {

char fold(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view without_root_dot(std::string_view name) noexcept {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace

bool host_glob_matches(std::string_view glob, std::string_view host) noexcept {
  glob = without_root_dot(glob);
  host = without_root_dot(host);
  // Greedy with one backtrack point: on a mismatch, the last `*` seen takes
  // one more character. Enough for `*` and `?`, which have no nesting.
  std::size_t g = 0, h = 0;
  std::size_t star = std::string_view::npos, star_h = 0;
  while (h < host.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      star_h = h;
    } else if (g < glob.size() && (glob[g] == '?' || fold(glob[g]) == fold(host[h]))) {
      ++g;
      ++h;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      h = ++star_h;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace faultline::shim
