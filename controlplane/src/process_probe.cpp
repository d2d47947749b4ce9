// target_process_alive: is the process a segment is named after still the
// one that created it? See segment.h for the rule.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "clock.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp {
namespace {

struct ProcStat {
  char state = '?';
  unsigned long long start_ticks = 0;  // since boot, in sysconf(_SC_CLK_TCK) units
};

enum class ProbeResult { kOk, kGone, kUnreadable };

ProbeResult read_proc_stat(pid_t pid, ProcStat* out) noexcept {
  char path[40];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? ProbeResult::kGone : ProbeResult::kUnreadable;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return n < 0 && errno == ESRCH ? ProbeResult::kGone : ProbeResult::kUnreadable;
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // fields are counted from the last ')'. state is field 3, starttime 22.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return ProbeResult::kUnreadable;
  p += 2;
  out->state = *p;
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return ProbeResult::kUnreadable;
    ++p;
  }
  char* end = nullptr;
  out->start_ticks = std::strtoull(p, &end, 10);
  if (end == p) return ProbeResult::kUnreadable;
  return ProbeResult::kOk;
}

}  // namespace

bool target_process_alive(pid_t pid, std::int64_t start_mono_ns) noexcept {
  if (pid <= 0) return false;
  const int saved_errno = errno;
  bool alive = true;
  if (kill(pid, 0) != 0 && errno == ESRCH) {
    alive = false;
  } else {
    ProcStat st;
    switch (read_proc_stat(pid, &st)) {
      case ProbeResult::kGone:
        alive = false;
        break;
      case ProbeResult::kUnreadable:
        break;  // kill() said it exists; nothing more to go on
      case ProbeResult::kOk: {
        if (st.state == 'Z' || st.state == 'X') {
          alive = false;
          break;
        }
        const long hz = sysconf(_SC_CLK_TCK);
        if (start_mono_ns <= 0 || hz <= 0) break;
        // The kernel's start time is floored to a tick: never later than
        // the real start. Monotonic is read before boottime, so the offset
        // (time spent suspended) is never smaller than it was when the
        // segment was created. Both errors make "started after the
        // segment" harder to reach, never easier for the real owner.
        const std::int64_t mono = detail::mono_ns();
        const std::int64_t boot = detail::clock_ns(CLOCK_BOOTTIME);
        const std::int64_t created_boot_ns = start_mono_ns + (boot - mono);
        const auto started_boot_ns =
            static_cast<std::int64_t>(st.start_ticks) * (1'000'000'000 / static_cast<std::int64_t>(hz));
        if (started_boot_ns > created_boot_ns) alive = false;  // a newer process took the pid
        break;
      }
    }
  }
  errno = saved_errno;
  return alive;
}

}  // namespace faultline::cp
