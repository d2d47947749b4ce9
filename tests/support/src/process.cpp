#include "faultline/testing/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "faultline/testing/paths.h"

extern char** environ;

namespace faultline::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> child_environment(const SpawnOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("LD_PRELOAD=") || entry.starts_with("FAULTLINE_")) continue;
    env.emplace_back(entry);
  }
  if (options.preload) env.push_back("LD_PRELOAD=" + preload_path());
#if defined(__SANITIZE_ADDRESS__)
  // The preload comes before the ASan runtime in the library list.
  env.push_back("ASAN_OPTIONS=verify_asan_link_order=0");
#endif
#if defined(__SANITIZE_THREAD__)
  // A fork child of a preloaded process starts its own apply thread.
  env.push_back("TSAN_OPTIONS=die_after_fork=0");
#endif
  for (const std::string& e : options.env) env.push_back(e);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Process Process::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::runtime_error("spawn: empty argv");
  int out[2], status_pipe[2];
  int in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0 ||
      (options.pipe_stdin && pipe2(in, O_CLOEXEC) != 0))
    throw std::runtime_error("spawn: pipe failed");

  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(options);
  std::vector<char*> argp = pointers(args);
  std::vector<char*> envp = pointers(env);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The child goes when the test
    // process does, even if it dies without running destructors.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(out[1], STDOUT_FILENO);
    if (in[0] >= 0) dup2(in[0], STDIN_FILENO);
    execve(argp[0], argp.data(), envp.data());
    const int err = errno;
    (void)!::write(status_pipe[1], &err, sizeof err);
    _exit(127);
  }
  close(out[1]);
  close(status_pipe[1]);
  if (in[0] >= 0) close(in[0]);
  int exec_errno = 0;
  const bool exec_failed =
      pid > 0 && ::read(status_pipe[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno;
  close(status_pipe[0]);
  if (pid < 0 || exec_failed) {
    if (pid > 0) waitpid(pid, nullptr, 0);
    close(out[0]);
    if (in[1] >= 0) close(in[1]);
    throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(pid < 0 ? errno : exec_errno));
  }
  Process p;
  p.pid_ = pid;
  p.stdout_fd_ = out[0];
  p.stdin_fd_ = in[1];
  return p;
}

Process::Process(Process&& other) noexcept {
  *this = std::move(other);
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = std::exchange(other.pid_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    stdin_fd_ = std::exchange(other.stdin_fd_, -1);
    reaped_ = std::exchange(other.reaped_, false);
    buffer_ = std::move(other.buffer_);
    eof_ = std::exchange(other.eof_, false);
  }
  return *this;
}

Process::~Process() {
  reset();
}

void Process::reset() noexcept {
  if (pid_ > 0 && !reaped_) {
    // SIGTERM first, so a preloaded child exits normally and removes its
    // segment; SIGKILL if it does not within a moment.
    kill(pid_, SIGTERM);
    int status = 0;
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      gone = r == pid_ || (r < 0 && errno != EINTR);
      if (!gone) usleep(2000);
    }
    if (!gone) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stdin_fd_ >= 0) close(stdin_fd_);
  pid_ = -1;
  stdout_fd_ = stdin_fd_ = -1;
  reaped_ = false;
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (eof_) return std::nullopt;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string Process::read_rest(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      eof_ = true;
    else
      buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  return std::exchange(buffer_, std::string());
}

void Process::write_stdin(std::string_view text) {
  if (stdin_fd_ < 0) throw std::runtime_error("write_stdin: spawned without pipe_stdin");
  while (!text.empty()) {
    const ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("write_stdin: write failed");
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (reaped_ || pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int Process::kill_and_reap(int signal, std::chrono::milliseconds grace) {
  if (reaped_ || pid_ <= 0) return -1;
  kill(pid_, signal);
  if (const auto status = wait(grace)) return *status;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              const SpawnOptions& options) {
  Process p = Process::spawn(argv, options);
  RunResult r;
  r.output = p.read_rest(timeout);
  const auto status = p.wait(std::chrono::milliseconds(timeout));
  if (!status) throw std::runtime_error(argv[0] + " did not finish in time");
  r.status = *status;
  r.output += p.read_rest(std::chrono::milliseconds(100));
  return r;
}

bool exited_with(int status, int code) {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

}  // namespace faultline::testing
