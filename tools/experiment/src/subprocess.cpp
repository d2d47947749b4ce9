#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace faultline::experiment {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

void make_pipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
}

// Reads what is available; false at end of file.
bool drain(int fd, std::string* into) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into->append(buffer, static_cast<std::size_t>(n));
      if (n < static_cast<ssize_t>(sizeof buffer)) return true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN;
  }
}

}  // namespace

std::string which(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = dirs.find(':', start);
    std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (dir.empty()) dir.assign(1, '.');
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

SubprocessResult run_subprocess(const std::vector<std::string>& argv,
                                std::optional<std::chrono::nanoseconds> timeout,
                                const std::atomic<bool>* cancel) {
  if (argv.empty()) throw std::runtime_error("no program to run");
  const std::string path = which(argv[0]);
  if (path.empty()) throw std::runtime_error("cannot find executable '" + argv[0] + "'");
  Fd out_r, out_w, err_r, err_w;
  make_pipe(&out_r, &out_w);
  make_pipe(&err_r, &err_w);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // The child starts with default signal dispositions and an empty mask, and
  // in its own process group so a cancelled command's children go too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all_default;
  sigemptyset(&none);
  sigemptyset(&all_default);
  sigaddset(&all_default, SIGINT);
  sigaddset(&all_default, SIGTERM);
  sigaddset(&all_default, SIGPIPE);
  sigaddset(&all_default, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(rc));
  out_w.reset();
  err_w.reset();
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);

  SubprocessResult result;
  const auto start = Clock::now();
  bool out_open = true, err_open = true;
  Clock::time_point kill_at{};
  bool terminated = false;
  int wstatus = 0;
  bool reaped = false;
  while (!reaped) {
    pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0}, {err_open ? err_r.get() : -1, POLLIN, 0}};
    ::poll(fds, 2, 5);
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = drain(out_r.get(), &result.out);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
      err_open = drain(err_r.get(), &result.err);
    if (!out_open && !err_open) {
      // Both closed: the child exited (or closed its ends); reap below.
    }
    const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) {
      reaped = true;
      break;
    }
    const auto now = Clock::now();
    if (!terminated) {
      const bool expired = timeout && timeout->count() > 0 && now - start >= *timeout;
      const bool stop = cancel != nullptr && cancel->load(std::memory_order_relaxed);
      if (expired || stop) {
        result.timed_out = expired;
        result.cancelled = !expired;
        ::kill(-pid, SIGTERM);
        ::kill(pid, SIGTERM);
        terminated = true;
        kill_at = now + std::chrono::milliseconds(500);
      }
    } else if (now >= kill_at) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      kill_at = now + std::chrono::hours(1);
    }
  }
  // Whatever the child wrote just before exiting.
  if (out_open) drain(out_r.get(), &result.out);
  if (err_open) drain(err_r.get(), &result.err);
  if (WIFEXITED(wstatus)) result.status = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.status = -WTERMSIG(wstatus);
  return result;
}

}  // namespace faultline::experiment
