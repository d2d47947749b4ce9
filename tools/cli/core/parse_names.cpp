// errno and signal names, from glibc's own tables (strerrorname_np,
// sigabbrev_np) so every name the C library knows is accepted.
#include <signal.h>
#include <string.h>

#include <cctype>
#include <charconv>
#include <string>

#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

constexpr int kMaxErrno = 4095;  // the kernel's MAX_ERRNO

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool parse_int(std::string_view text, int* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int parse_errno(std::string_view text, std::string_view option) {
  int number = 0;
  if (parse_int(text, &number)) {
    if (number > 0 && number <= kMaxErrno && strerrorname_np(number) != nullptr) return number;
  } else {
    const std::string name = upper(text);
    for (int e = 1; e <= kMaxErrno; ++e) {
      const char* known = strerrorname_np(e);
      if (known != nullptr && name == known) return e;
    }
  }
  throw UserError("unknown errno '" + std::string(text) + "' for " + std::string(option) +
                  ": expected a name such as ECONNRESET, ECONNREFUSED, EAGAIN, EINTR, ENOBUFS, ETIMEDOUT "
                  "or its number");
}

int parse_signal(std::string_view text, std::string_view option) {
  int number = 0;
  if (parse_int(text, &number)) {
    if (number > 0 && number < NSIG && sigabbrev_np(number) != nullptr) return number;
  } else {
    std::string name = upper(text);
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    for (int s = 1; s < NSIG; ++s) {
      const char* known = sigabbrev_np(s);
      if (known != nullptr && name == known) return s;
    }
  }
  throw UserError("unknown signal '" + std::string(text) + "' for " + std::string(option) +
                  ": expected a name such as SIGKILL, SIGTERM, KILL, term or its number");
}

}  // namespace faultline::cli
