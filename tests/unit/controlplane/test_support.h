// Helpers shared by the control-plane tests: valid faults, child processes
// and bounded waiting (a guard against hangs, never a timing assertion).
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp::testing {

// Long enough that only a hang reaches it on a loaded machine.
inline constexpr std::chrono::seconds kHangGuard{20};

inline abi::FaultSpec latency_spec(const char* id = "lat-1") {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof(f.id) - 1);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
  f.pct_ppm = 1'000'000;
  f.for_ns = 60'000'000'000;
  f.delay_ns = 1'000'000;
  return f;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::nanoseconds limit = kHangGuard) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// A forked child running `body`, whose return value is its exit status.
// Killed and reaped on destruction if still running.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    pid_ = fork();
    if (pid_ == 0) _exit(body());
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  // Reaps the child; returns its exit status, or 128 + signal.
  int wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A pipe for "ready"/"go" handshakes between parent and child.
class Pipe {
 public:
  Pipe() {
    if (pipe(fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    close_read();
    close_write();
  }
  bool send(char c) { return write(fds_[1], &c, 1) == 1; }
  // Returns the byte, or -1 on end of file.
  int receive() {
    char c = 0;
    ssize_t n;
    while ((n = read(fds_[0], &c, 1)) < 0 && errno == EINTR) {
    }
    return n == 1 ? static_cast<unsigned char>(c) : -1;
  }
  void close_read() {
    if (fds_[0] >= 0) close(fds_[0]);
    fds_[0] = -1;
  }
  void close_write() {
    if (fds_[1] >= 0) close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// Creates the segment of `pid` for a test and unlinks it afterwards.
class ScopedSegment {
 public:
  explicit ScopedSegment(pid_t pid = getpid(), const char* program = "cp-test",
                         const char* labels = "app=test") {
    int err = 0;
    segment = Segment::create(pid, program, labels, &err);
    error = err;
  }
  ScopedSegment(const ScopedSegment&) = delete;
  ScopedSegment& operator=(const ScopedSegment&) = delete;
  ~ScopedSegment() {
    if (segment.valid()) Segment::unlink(segment.pid());
  }
  Segment segment;
  int error = 0;
};

}  // namespace faultline::cp::testing
