// A child process for tests: spawned with the preload (or without), its
// stdout read line by line, killed and reaped when the test is done (also
// when the Process goes out of scope, so a failing test leaves no orphan).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::testing {

struct SpawnOptions {
  bool preload = true;           // LD_PRELOAD=libfaultline.so of this build
  std::vector<std::string> env;  // extra "KEY=VALUE" entries
  bool pipe_stdin = false;       // write_stdin() feeds the child's stdin

  // Chainable: SpawnOptions().with_env("FAULTLINE_TELEMETRY=1").with_stdin()
  SpawnOptions without_preload() const {
    SpawnOptions o = *this;
    o.preload = false;
    return o;
  }
  SpawnOptions with_env(std::string entry) const {
    SpawnOptions o = *this;
    o.env.push_back(std::move(entry));
    return o;
  }
  SpawnOptions with_stdin() const {
    SpawnOptions o = *this;
    o.pipe_stdin = true;
    return o;
  }
};

class Process {
 public:
  // Starts argv[0] (a path) with the test's environment plus `options`.
  // Throws std::runtime_error if it cannot be started.
  static Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGTERM (SIGKILL after a second) and reap if still running

  pid_t pid() const noexcept { return pid_; }

  // The next line of stdout (without the newline); nullopt at end of file
  // or when `timeout` passes first.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Everything left on stdout until end of file or `timeout`.
  std::string read_rest(std::chrono::milliseconds timeout);

  void write_stdin(std::string_view text);

  // Waits for the process to exit by itself; its wait status, or nullopt
  // on timeout (it keeps running).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Sends `signal`, waits up to `grace`, then SIGKILL; returns the wait status.
  int kill_and_reap(int signal, std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  Process() = default;
  void reset() noexcept;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  bool reaped_ = false;
  std::string buffer_;
  bool eof_ = false;
};

// Runs a program to completion (stdout captured); throws if it does not end
// within `timeout`. For one-shot helpers such as the pingers.
struct RunResult {
  int status = 0;      // wait status
  std::string output;  // stdout
};
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              const SpawnOptions& options = {});

// True if a wait status is a normal exit with `code`.
bool exited_with(int status, int code);

}  // namespace faultline::testing
