// 256-bit sets of bytes and the named classes of the --sql matcher
// (sql_regex.cpp, sql_regex_compiler.cpp).
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline::shim::byte_set {

using Set = std::uint64_t[4];

inline void set_add(Set& s, unsigned c) noexcept {
  s[c >> 6] |= 1ULL << (c & 63);
}
inline void set_range(Set& s, unsigned lo, unsigned hi) noexcept {
  for (unsigned c = lo; c <= hi; ++c) set_add(s, c);
}
inline bool set_has(const std::uint64_t* s, unsigned char c) noexcept {
  return ((s[c >> 6] >> (c & 63)) & 1u) != 0;
}

inline bool is_word(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte sets of \d \s \w and the POSIX [:name:] classes, in the "C" locale
// whatever locale the host process set.
inline bool named_set(std::string_view name, Set& s) noexcept {
  if (name == "digit" || name == "d") {
    set_range(s, '0', '9');
  } else if (name == "space" || name == "s") {
    set_add(s, ' ');
    set_range(s, '\t', '\r');
  } else if (name == "w") {
    set_range(s, 'a', 'z');
    set_range(s, 'A', 'Z');
    set_range(s, '0', '9');
    set_add(s, '_');
  } else if (name == "alpha") {
    set_range(s, 'a', 'z');
    set_range(s, 'A', 'Z');
  } else if (name == "alnum") {
    set_range(s, 'a', 'z');
    set_range(s, 'A', 'Z');
    set_range(s, '0', '9');
  } else if (name == "upper") {
    set_range(s, 'A', 'Z');
  } else if (name == "lower") {
    set_range(s, 'a', 'z');
  } else if (name == "blank") {
    set_add(s, ' ');
    set_add(s, '\t');
  } else if (name == "xdigit") {
    set_range(s, '0', '9');
    set_range(s, 'a', 'f');
    set_range(s, 'A', 'F');
  } else if (name == "punct") {
    set_range(s, 33, 47);
    set_range(s, 58, 64);
    set_range(s, 91, 96);
    set_range(s, 123, 126);
  } else if (name == "cntrl") {
    set_range(s, 0, 31);
    set_add(s, 127);
  } else if (name == "print") {
    set_range(s, 32, 126);
  } else if (name == "graph") {
    set_range(s, 33, 126);
  } else {
    return false;
  }
  return true;
}

inline void complement(Set& s) noexcept {
  for (std::uint64_t& w : s) w = ~w;
}

}  // namespace faultline::shim::byte_set
