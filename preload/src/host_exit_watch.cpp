#include "host_exit_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "faultline/shim/delay_line.h"
#include "real_symbols.h"
#include "startup.h"

namespace faultline::preload {
namespace {

constexpr std::int64_t kCheckEveryNs = 1'000'000'000;

struct ProcessThreads {
  char main_state = '?';  // the main thread's, as /proc/<pid>/stat gives it: 'Z' once it ended
  long count = 0;         // num_threads: an ended main thread still counts
};

bool read_process_threads(ProcessThreads* out) noexcept {
  char text[512];
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = real::read(fd, text, sizeof text - 1);
  real::close(fd);
  if (n <= 0) return false;
  text[n] = '\0';
  // "pid (comm) S ppid ..." -- comm may hold spaces and parentheses, so the
  // fields start after the last ')'. Field 3 is the state, 20 num_threads.
  const char* p = std::strrchr(text, ')');
  if (p == nullptr || p[1] != ' ') return false;
  p += 2;
  out->main_state = *p;
  for (int field = 3; field < 20 && p != nullptr; ++field) {
    p = std::strchr(p, ' ');
    if (p != nullptr) ++p;
  }
  if (p == nullptr) return false;
  out->count = std::strtol(p, nullptr, 10);
  return true;
}

// Threads of the host's own still running, the caller's included.
long host_threads(const ProcessThreads& t, bool caller_is_main) noexcept {
  const bool main_ended = t.main_state == 'Z' && !caller_is_main;
  return t.count - shim_threads() - (main_ended ? 1 : 0);
}

}  // namespace

bool is_last_host_thread() noexcept {
  const int saved = errno;
  ProcessThreads t;
  const bool ok = read_process_threads(&t);
  const bool caller_is_main = syscall(SYS_gettid) == getpid();
  errno = saved;
  return ok && host_threads(t, caller_is_main) == 1;
}

std::int64_t HostExitWatch::tick(std::int64_t now_mono_ns) noexcept {
  if (now_mono_ns >= next_check_ns_) {
    next_check_ns_ = now_mono_ns + kCheckEveryNs;
    const int saved = errno;
    ProcessThreads t;
    const bool ended = read_process_threads(&t) && t.main_state == 'Z' && host_threads(t, false) <= 0;
    errno = saved;
    if (ended) std::exit(0);  // what glibc does when a process's last thread ends
  }
  return manager_->tick(now_mono_ns);
}

}  // namespace faultline::preload
