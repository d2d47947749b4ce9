#include "segment_name.h"

#include <cstddef>
#include <cstring>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp::detail {
namespace {

// Appends `prefix` then the decimal `pid` to `out` (capacity `cap`).
void format_name(char* out, std::size_t cap, const char* prefix, pid_t pid) noexcept {
  char digits[16];
  std::size_t n = 0;
  unsigned long v = pid > 0 ? static_cast<unsigned long>(pid) : 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof(digits));
  std::size_t len = std::strlen(prefix);
  if (len + n + 1 > cap) {
    out[0] = '\0';
    return;
  }
  std::memcpy(out, prefix, len);
  while (n > 0) out[len++] = digits[--n];
  out[len] = '\0';
}

}  // namespace

SegmentName segment_name(pid_t pid) noexcept {
  SegmentName name{};
  format_name(name.shm, sizeof(name.shm), abi::kSegmentPrefix, pid);
  char dir_prefix[32];
  const std::size_t dir_len = std::strlen(kShmDir);
  std::memcpy(dir_prefix, kShmDir, dir_len);
  std::strcpy(dir_prefix + dir_len, abi::kSegmentPrefix);
  format_name(name.path, sizeof(name.path), dir_prefix, pid);
  return name;
}

bool parse_segment_file_name(const char* file_name, pid_t* pid) noexcept {
  const char* prefix = abi::kSegmentPrefix + 1;  // without the slash
  const std::size_t prefix_len = std::strlen(prefix);
  if (std::strncmp(file_name, prefix, prefix_len) != 0) return false;
  const char* p = file_name + prefix_len;
  if (*p == '\0' || *p == '0') return false;
  long v = 0;
  for (; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + (*p - '0');
    if (v > 0x3fffffff) return false;  // above any pid_max
  }
  *pid = static_cast<pid_t>(v);
  return true;
}

}  // namespace faultline::cp::detail
