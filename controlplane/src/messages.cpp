#include "messages.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace faultline::cp::detail {

std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  return buf;
}

std::string errno_text(int err) {
  char buf[128];
  // GNU strerror_r: returns the message, which may or may not be in buf.
  return strerror_r(err, buf, sizeof(buf));
}

std::string foreign_owner_reason(const char* path, uid_t uid) {
  return format("segment %s belongs to uid %u; run as that user or root", path, static_cast<unsigned>(uid));
}

bool may_use(uid_t uid) noexcept {
  const uid_t me = geteuid();
  return me == 0 || me == uid;
}

}  // namespace faultline::cp::detail
