// Runs a program with its stdout and stderr captured, a timeout, and a
// cancellation flag (SIGTERM, then SIGKILL after a short wait). Safe to call
// from several threads at once (posix_spawn, close-on-exec pipes).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace faultline::experiment {

struct SubprocessResult {
  int status = 0;  // exit code, or -N when killed by signal N (as Python reports it)
  std::string out, err;
  bool timed_out = false;
  bool cancelled = false;
};

// argv[0] is looked up in PATH when it has no slash. Throws std::runtime_error
// when the program cannot be started.
SubprocessResult run_subprocess(const std::vector<std::string>& argv,
                                std::optional<std::chrono::nanoseconds> timeout,
                                const std::atomic<bool>* cancel);

// The absolute path of an executable found like a shell would, or "".
std::string which(const std::string& program);

}  // namespace faultline::experiment
