// The one exception type of the CLI: a user-facing failure whose message is
// the whole line after "faultline: " (what went wrong, then what was
// expected). main() prints it and exits with `exit_code`.
#pragma once

#include <stdexcept>
#include <string>

namespace faultline::cli {

inline constexpr int kExitUserError = 1;  // bad value, no target, rejected command
inline constexpr int kExitUsage = 2;      // malformed command line

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message, int exit_code = kExitUserError)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace faultline::cli
