// Copying C strings into the ABI's fixed char arrays.
#pragma once

#include <cstddef>

namespace faultline::cp::detail {

// Copies `s` (nullptr reads as "") into `field`, truncating, and zero-fills
// the rest so that no stale bytes cross the ABI.
template <std::size_t N>
void copy_cstr(char (&field)[N], const char* s) noexcept {
  std::size_t i = 0;
  if (s != nullptr)
    for (; i + 1 < N && s[i] != '\0'; ++i) field[i] = s[i];
  for (; i < N; ++i) field[i] = '\0';
}

}  // namespace faultline::cp::detail
