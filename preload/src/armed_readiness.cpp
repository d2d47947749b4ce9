// Armed paths of the readiness calls (poll, ppoll, select, pselect,
// epoll_wait, epoll_pwait). While the delay line holds the ingress of some
// descriptors (shim/delay_line.h), those descriptors are readable exactly
// when their data is due: the kernel is not asked about their input (poll,
// select: the bit is masked; epoll: their input events are filtered out),
// the line answers instead, and the wait is cut at the next due time. New
// data queued during the wait wakes the caller through a per-thread eventfd
// the engine signals (delay::begin_wait). With nothing held anywhere these
// calls pass straight through.
//
// Limits: poll sets above kMaxPollFds and select sets with the eventfd above
// FD_SETSIZE wait in slices of kSliceNs instead of being woken; an epoll set
// holds up to kMaxEpollFds interesting descriptors (read from
// /proc/self/fdinfo at each call while data is held, as the interest list
// may have been built while the shim was idle). EPOLLONESHOT is not
// re-enacted for the events the line reports.
//
// A descriptor whose connect a blackhole holds (armed_connection.h) is not
// ready at all while the fault lasts: poll and select leave it out, epoll
// drops its events. The wait is then cut into kHiddenSliceNs slices so the
// end of the fault is seen (the held connect starts and the kernel answers
// from then on); an epoll set with a held descriptor is looked at once per
// slice, not woken (the kernel keeps reporting the unconnected socket).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "armed.h"
#include "armed_call.h"
#include "armed_connection.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/engine.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

constexpr nfds_t kMaxPollFds = 256;
constexpr int kMaxEpollFds = 256;
constexpr std::int64_t kSliceNs = 1'000'000;
constexpr std::int64_t kHiddenSliceNs = 2'000'000;
constexpr std::uint32_t kInputEvents = POLLIN | POLLRDNORM;

std::int64_t deadline_after_ms(int timeout_ms, std::int64_t now) noexcept {
  return timeout_ms < 0 ? INT64_MAX : now + static_cast<std::int64_t>(timeout_ms) * 1'000'000;
}

std::int64_t deadline_after(const timespec* ts, std::int64_t now) noexcept {
  if (ts == nullptr) return INT64_MAX;
  return now + static_cast<std::int64_t>(ts->tv_sec) * 1'000'000'000 + ts->tv_nsec;
}

// The wait until `until` (INT64_MAX: none) as a timespec for ppoll/pselect.
const timespec* wait_spec(std::int64_t until, std::int64_t now, timespec* out) noexcept {
  if (until == INT64_MAX) return nullptr;
  const std::int64_t ns = std::max<std::int64_t>(until - now, 0);
  out->tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  out->tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return out;
}

// ---- poll / ppoll ----

int poll_held(pollfd* fds, nfds_t nfds, std::int64_t deadline, const sigset_t* sigmask) {
  pollfd copy[kMaxPollFds + 1];
  bool held[kMaxPollFds];
  bool hidden[kMaxPollFds];
  bool any_held = false;
  bool any_hidden = false;
  const bool hiding = any_readiness_hidden();
  for (nfds_t i = 0; i < nfds; ++i) {
    held[i] =
        fds[i].fd >= 0 && (fds[i].events & kInputEvents) != 0 && shim::delay::ingress_managed(fds[i].fd);
    hidden[i] = hiding && fds[i].fd >= 0 && readiness_hidden(fds[i].fd);
    any_held = any_held || held[i];
    any_hidden = any_hidden || hidden[i];
  }
  if (!any_held && !any_hidden) {
    timespec ts;
    return real::ppoll(fds, nfds, wait_spec(deadline, shim::now_ns(), &ts), sigmask);
  }
  for (;;) {
    std::int64_t now = shim::now_ns();
    std::int64_t next_due = INT64_MAX;
    bool due[kMaxPollFds];
    bool any_due = false;
    any_hidden = false;
    for (nfds_t i = 0; i < nfds; ++i) {
      copy[i] = fds[i];
      due[i] = false;
      if (hidden[i]) hidden[i] = readiness_hidden(fds[i].fd);
      if (hidden[i]) copy[i].fd = -1;  // poll skips it: no event at all
      any_hidden = any_hidden || hidden[i];
      if (!held[i]) continue;
      due[i] = shim::delay::readable(fds[i].fd, now, &next_due);
      any_due = any_due || due[i];
      copy[i].events = static_cast<short>(copy[i].events & ~(kInputEvents | POLLRDHUP));
    }
    const int efd = any_due ? -1 : shim::delay::begin_wait(deadline);
    nfds_t n = nfds;
    if (efd >= 0) copy[n++] = pollfd{efd, POLLIN, 0};
    timespec ts;
    std::int64_t until = any_due ? now : std::min(deadline, next_due);
    if (any_hidden) until = std::min(until, now + kHiddenSliceNs);
    const int r = real::ppoll(copy, n, wait_spec(until, now, &ts), sigmask);
    const int err = errno;
    if (efd >= 0) shim::delay::end_wait();
    if (r < 0) {
      errno = err;
      return r;
    }
    now = shim::now_ns();
    int count = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      short revents = copy[i].revents;
      if (held[i] && !due[i]) {
        std::int64_t ignored = INT64_MAX;
        due[i] = shim::delay::readable(fds[i].fd, now, &ignored);
      }
      if (due[i]) revents = static_cast<short>(revents | (fds[i].events & kInputEvents));
      fds[i].revents = revents;
      if (revents != 0) ++count;
    }
    if (count > 0 || now >= deadline) return count;
  }
}

// ---- select / pselect ----

int select_held(int nfds, fd_set* rfds, fd_set* wfds, fd_set* efds, std::int64_t deadline,
                const sigset_t* sigmask) {
  fd_set held, hidden;
  FD_ZERO(&held);
  FD_ZERO(&hidden);
  bool any_held = false;
  bool any_hidden = false;
  const bool hiding = any_readiness_hidden();
  for (int fd = 0; nfds <= FD_SETSIZE && fd < nfds; ++fd) {
    if (rfds != nullptr && FD_ISSET(fd, rfds) && shim::delay::ingress_managed(fd)) {
      FD_SET(fd, &held);
      any_held = true;
    }
    const bool asked = (rfds != nullptr && FD_ISSET(fd, rfds)) || (wfds != nullptr && FD_ISSET(fd, wfds)) ||
                       (efds != nullptr && FD_ISSET(fd, efds));
    if (hiding && asked && readiness_hidden(fd)) {
      FD_SET(fd, &hidden);
      any_hidden = true;
    }
  }
  if (!any_held && !any_hidden) {
    timespec ts;
    return real::pselect(nfds, rfds, wfds, efds, wait_spec(deadline, shim::now_ns(), &ts), sigmask);
  }
  for (;;) {
    std::int64_t now = shim::now_ns();
    std::int64_t next_due = INT64_MAX;
    fd_set r, due;
    fd_set w, e;
    FD_ZERO(&r);
    if (rfds != nullptr) r = *rfds;
    if (wfds != nullptr) w = *wfds;
    if (efds != nullptr) e = *efds;
    FD_ZERO(&due);
    bool any_due = false;
    any_hidden = false;
    for (int fd = 0; fd < nfds; ++fd) {
      if (FD_ISSET(fd, &hidden) && !readiness_hidden(fd)) FD_CLR(fd, &hidden);
      if (FD_ISSET(fd, &hidden)) {  // asked about nothing: no event at all
        any_hidden = true;
        FD_CLR(fd, &r);
        if (wfds != nullptr) FD_CLR(fd, &w);
        if (efds != nullptr) FD_CLR(fd, &e);
      }
      if (!FD_ISSET(fd, &held)) continue;
      FD_CLR(fd, &r);
      if (shim::delay::readable(fd, now, &next_due)) {
        FD_SET(fd, &due);
        any_due = true;
      }
    }
    int efd = any_due ? -1 : shim::delay::begin_wait(deadline);
    int n = nfds;
    std::int64_t until = any_due ? now : std::min(deadline, next_due);
    if (any_hidden) until = std::min(until, now + kHiddenSliceNs);
    if (efd >= FD_SETSIZE) {
      shim::delay::end_wait();
      efd = -1;
      until = std::min(until, now + kSliceNs);
    }
    if (efd >= 0) {
      FD_SET(efd, &r);
      n = std::max(n, efd + 1);
    }
    timespec ts;
    const int rc = real::pselect(n, &r, wfds != nullptr ? &w : nullptr, efds != nullptr ? &e : nullptr,
                                 wait_spec(until, now, &ts), sigmask);
    const int err = errno;
    if (efd >= 0) {
      shim::delay::end_wait();
      FD_CLR(efd, &r);
    }
    if (rc < 0) {
      errno = err;
      return rc;
    }
    now = shim::now_ns();
    int count = 0;
    for (int fd = 0; fd < nfds; ++fd) {
      if (FD_ISSET(fd, &held) && !FD_ISSET(fd, &due)) {
        std::int64_t ignored = INT64_MAX;
        if (shim::delay::readable(fd, now, &ignored)) FD_SET(fd, &due);
      }
      if (FD_ISSET(fd, &due)) FD_SET(fd, &r);
      count += FD_ISSET(fd, &r) ? 1 : 0;
      if (wfds != nullptr) count += FD_ISSET(fd, &w) ? 1 : 0;
      if (efds != nullptr) count += FD_ISSET(fd, &e) ? 1 : 0;
    }
    if (count > 0 || now >= deadline) {
      if (rfds != nullptr) *rfds = r;
      if (wfds != nullptr) *wfds = w;
      if (efds != nullptr) *efds = e;
      return count;
    }
  }
}

// ---- epoll ----

struct Interest {
  int fd;
  std::uint32_t events;
  std::uint64_t data;
  bool hidden;  // a held connect: no event at all (else: held ingress)
};

// The descriptors of `epfd` registered for input whose ingress is held, and
// those whose connect is held, read from /proc/self/fdinfo ("tfd: N events:
// HEX data: HEX").
int held_interests(int epfd, Interest* out, int cap) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
  const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return 0;
  char buf[8192];
  std::size_t have = 0;
  int n = 0;
  for (;;) {
    const ssize_t r = syscall(SYS_read, fd, buf + have, sizeof buf - 1 - have);
    if (r <= 0) break;
    have += static_cast<std::size_t>(r);
    buf[have] = '\0';
    char* line = buf;
    char* nl;
    while ((nl = std::strchr(line, '\n')) != nullptr) {
      *nl = '\0';
      if (std::strncmp(line, "tfd:", 4) == 0 && n < cap) {
        const char* ev = std::strstr(line, "events:");
        const char* da = std::strstr(line, "data:");
        if (ev != nullptr && da != nullptr) {
          Interest i{static_cast<int>(std::strtol(line + 4, nullptr, 10)),
                     static_cast<std::uint32_t>(std::strtoul(ev + 7, nullptr, 16)),
                     std::strtoull(da + 5, nullptr, 16), false};
          i.hidden = any_readiness_hidden() && readiness_hidden(i.fd);
          if (i.hidden || ((i.events & EPOLLIN) != 0 && shim::delay::ingress_managed(i.fd))) out[n++] = i;
        }
      }
      line = nl + 1;
    }
    have = static_cast<std::size_t>(buf + have - line);
    std::memmove(buf, line, have);
    if (have >= sizeof buf - 1) have = 0;  // a line longer than the buffer: not an interest line
  }
  syscall(SYS_close, fd);
  return n;
}

int epoll_held(int epfd, epoll_event* events, int maxevents, std::int64_t deadline, const sigset_t* sigmask) {
  Interest held[kMaxEpollFds];
  const int nheld = maxevents > 0 ? held_interests(epfd, held, kMaxEpollFds) : 0;
  if (nheld == 0) {
    timespec ts;
    const timespec* t = wait_spec(deadline, shim::now_ns(), &ts);
    const int ms =
        t == nullptr ? -1 : static_cast<int>((t->tv_sec * 1000) + (t->tv_nsec + 999'999) / 1'000'000);
    return real::epoll_pwait(epfd, events, maxevents, ms, sigmask);
  }
  for (;;) {
    std::int64_t now = shim::now_ns();
    std::int64_t next_due = INT64_MAX;
    bool due[kMaxEpollFds];
    bool any_due = false;
    bool any_hidden = false;
    for (int i = 0; i < nheld; ++i) {
      if (held[i].hidden) held[i].hidden = readiness_hidden(held[i].fd);
      any_hidden = any_hidden || held[i].hidden;
      due[i] = !held[i].hidden && shim::delay::readable(held[i].fd, now, &next_due);
      any_due = any_due || due[i];
    }
    bool kernel_ready = false;
    if (!any_due) {
      // Wait on the epoll descriptor itself (it is pollable) and the wakeup;
      // with a held connect in the set (always ready to the kernel) sleep a
      // slice instead and look.
      pollfd p[2] = {{any_hidden ? -1 : epfd, POLLIN, 0}, {-1, POLLIN, 0}};
      const int efd = shim::delay::begin_wait(deadline);
      p[1].fd = efd;
      timespec ts;
      std::int64_t until = std::min(deadline, next_due);
      if (any_hidden) until = std::min(until, now + kHiddenSliceNs);
      const int r = real::ppoll(p, efd >= 0 ? 2 : 1, wait_spec(until, now, &ts), sigmask);
      const int err = errno;
      if (efd >= 0) shim::delay::end_wait();
      if (r < 0) {
        errno = err;
        return r;
      }
      kernel_ready = any_hidden || (p[0].revents & POLLIN) != 0;
      now = shim::now_ns();
      for (int i = 0; i < nheld; ++i) {
        std::int64_t ignored = INT64_MAX;
        due[i] = shim::delay::readable(held[i].fd, now, &ignored);
      }
    }
    int count = 0;
    if (any_due || kernel_ready) {
      count = real::epoll_wait(epfd, events, maxevents, 0);
      if (count < 0) return count;
    }
    // The kernel's input readiness of held descriptors is not theirs to report.
    int kept = 0;
    for (int k = 0; k < count; ++k) {
      epoll_event ev = events[k];
      for (int i = 0; i < nheld; ++i)
        if (held[i].data == ev.data.u64)
          ev.events &= held[i].hidden ? 0u : ~static_cast<std::uint32_t>(EPOLLIN | EPOLLRDNORM | EPOLLRDHUP);
      if (ev.events != 0) events[kept++] = ev;
    }
    for (int i = 0; i < nheld; ++i) {
      if (!due[i]) continue;
      int k = 0;
      while (k < kept && events[k].data.u64 != held[i].data) ++k;
      if (k < kept) {
        events[k].events |= EPOLLIN;
      } else if (kept < maxevents) {
        events[kept].events = EPOLLIN;
        events[kept].data.u64 = held[i].data;
        ++kept;
      }
    }
    if (kept > 0 || now >= deadline) return kept;
  }
}

bool readiness_passes(CallMode mode) noexcept {
  (void)mode;
  return !shim::delay::any_ingress() && !any_readiness_hidden();
}

}  // namespace

namespace armed {

int poll(pollfd* fds, nfds_t nfds, int timeout) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode()) || nfds > kMaxPollFds || fds == nullptr)
    return real::poll(fds, nfds, timeout);
  return poll_held(fds, nfds, deadline_after_ms(timeout, shim::now_ns()), nullptr);
}

int ppoll(pollfd* fds, nfds_t nfds, const timespec* timeout, const sigset_t* sigmask) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode()) || nfds > kMaxPollFds || fds == nullptr)
    return real::ppoll(fds, nfds, timeout, sigmask);
  return poll_held(fds, nfds, deadline_after(timeout, shim::now_ns()), sigmask);
}

int select(int nfds, fd_set* rfds, fd_set* wfds, fd_set* efds, timeval* timeout) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode())) return real::select(nfds, rfds, wfds, efds, timeout);
  const std::int64_t now = shim::now_ns();
  const std::int64_t deadline =
      timeout == nullptr
          ? INT64_MAX
          : now + static_cast<std::int64_t>(timeout->tv_sec) * 1'000'000'000 + timeout->tv_usec * 1000;
  const int r = select_held(nfds, rfds, wfds, efds, deadline, nullptr);
  if (timeout != nullptr && deadline != INT64_MAX) {  // Linux reports the time not slept
    const std::int64_t left = std::max<std::int64_t>(deadline - shim::now_ns(), 0);
    timeout->tv_sec = static_cast<time_t>(left / 1'000'000'000);
    timeout->tv_usec = static_cast<suseconds_t>((left % 1'000'000'000) / 1000);
  }
  return r;
}

int pselect(int nfds, fd_set* rfds, fd_set* wfds, fd_set* efds, const timespec* timeout,
            const sigset_t* sigmask) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode()))
    return real::pselect(nfds, rfds, wfds, efds, timeout, sigmask);
  return select_held(nfds, rfds, wfds, efds, deadline_after(timeout, shim::now_ns()), sigmask);
}

int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode()))
    return real::epoll_wait(epfd, events, maxevents, timeout);
  return epoll_held(epfd, events, maxevents, deadline_after_ms(timeout, shim::now_ns()), nullptr);
}

int epoll_pwait(int epfd, epoll_event* events, int maxevents, int timeout, const sigset_t* sigmask) {
  shim::ShimScope scope;
  if (!scope.entered() || readiness_passes(call_mode()))
    return real::epoll_pwait(epfd, events, maxevents, timeout, sigmask);
  return epoll_held(epfd, events, maxevents, deadline_after_ms(timeout, shim::now_ns()), sigmask);
}

}  // namespace armed
}  // namespace faultline::preload
