#include "armed_connection.h"

#include <errno.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <climits>

#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/telemetry_writer.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

using shim::conn::Mark;

// A blocking connect into a blackhole gives up when the kernel would: the
// SYN and its tcp_syn_retries=6 retransmissions (1+2+...+64 s) unanswered.
constexpr std::int64_t kSynGiveUpNs = 127'000'000'000;
// How often a held blocking connect looks whether its fault ended.
constexpr std::int64_t kHoldCheckNs = 2'000'000;

bool fail(Settled* out, int err) noexcept {
  out->result = -1;
  out->err = err;
  return true;
}

// A send on a connection that is gone: EPIPE, and SIGPIPE unless asked not
// to, as the kernel's sk_stream_error does.
bool broken_pipe(int flags, Settled* out) noexcept {
  if ((flags & MSG_NOSIGNAL) == 0) raise(SIGPIPE);
  return fail(out, EPIPE);
}

void reset_connection(int fd) noexcept {
  shim::conn::abort_connection(fd);
  shim::conn::set_reset(fd);
}

// The connect verdict for `fd` aimed at `addr` (its peer set to it).
shim::Verdict connect_verdict(int fd, const sockaddr* addr, socklen_t addr_len) noexcept {
  shim::SocketInfo info;
  if (!socket_of(fd, nullptr, 0, &info) || !shim::set_peer(info, addr, addr_len)) return shim::Verdict{};
  return shim::decide(shim::Op::kConnect, abi::Direction::kEgress, info, 0);
}

std::int64_t send_timeout_ns(int fd) noexcept {
  timeval tv{};
  socklen_t len = sizeof tv;
  const int saved = errno;
  const int r = getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len);
  errno = saved;
  if (r != 0) return 0;
  return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

// A blocking connect into a blackhole: waits until the caller's
// SO_SNDTIMEO (else the kernel's SYN give-up) and fails with ETIMEDOUT, or
// until the plan no longer blackholes the peer (then connects for real, or
// fails as the new verdict says).
bool hold_blocking_connect(int fd, const sockaddr* addr, socklen_t addr_len, Settled* out) {
  const std::int64_t start = shim::now_ns();
  const std::int64_t timeout = send_timeout_ns(fd);
  const std::int64_t deadline = start + (timeout > 0 ? timeout : kSynGiveUpNs);
  shim::conn::PlanStamp seen = shim::conn::plan_stamp();
  for (;;) {
    const std::int64_t now = shim::now_ns();
    if (now >= deadline) return fail(out, ETIMEDOUT);
    const std::int64_t step = std::min(kHoldCheckNs, deadline - now);
    const timespec ts{0, static_cast<long>(step)};
    nanosleep(&ts, nullptr);  // a signal only cuts a step short: the hold goes on
    const shim::conn::PlanStamp stamp = shim::conn::plan_stamp();
    if (stamp == seen) continue;
    seen = stamp;
    const shim::Verdict v = connect_verdict(fd, addr, addr_len);
    if (v.blackhole) continue;
    if (v.err != 0) return fail(out, v.err);
    return false;
  }
}

}  // namespace

bool connection_marked_call(int fd, bool egress, int flags, Settled* out) noexcept {
  switch (shim::conn::mark(fd)) {
    case Mark::kNone:
      return false;
    case Mark::kReset:
      return egress ? broken_pipe(flags, out) : fail(out, ECONNRESET);
    case Mark::kHeldConnect:
      // Not connected yet, as far as the program can tell.
      return readiness_hidden(fd) ? fail(out, EAGAIN) : false;
    case Mark::kPendingErrno: {
      if (egress) return false;
      const int err = shim::conn::take_pending_errno(fd);
      return err != 0 ? fail(out, err) : false;
    }
  }
  return false;
}

bool connection_settles_send(int fd, const shim::SocketInfo& info, const shim::Verdict& v, int flags,
                             std::size_t len, Settled* out) noexcept {
  (void)flags;
  if (v.reset && info.datagram == 0) {
    reset_connection(fd);
    return fail(out, ECONNRESET);  // the first call after an RST reports it, later sends get EPIPE
  }
  if (v.err != 0) return fail(out, v.err);
  if (v.blackhole) {
    out->result = len > static_cast<std::size_t>(SSIZE_MAX) ? SSIZE_MAX : static_cast<ssize_t>(len);
    out->err = 0;
    return true;
  }
  return false;
}

RecvOutcome connection_settles_recv(int fd, const shim::SocketInfo& info, const shim::Verdict& v, int flags,
                                    Settled* out) noexcept {
  if (!v.reset && !v.blackhole && v.err == 0) return RecvOutcome::kPass;
  if (v.reset && info.datagram == 0) {
    reset_connection(fd);  // what was received is gone with the connection
    fail(out, ECONNRESET);
    return RecvOutcome::kSettled;
  }
  if (v.err != 0) {
    // A datagram is consumed with the failed call. A stream's bytes cannot
    // be: they are returned now and the next receive owes the error.
    if (info.datagram == 0) {
      shim::conn::set_pending_errno(fd, v.err);
      return RecvOutcome::kPass;
    }
    fail(out, v.err);
    return RecvOutcome::kSettled;
  }
  if (v.blackhole) {
    if (!nonblocking(fd, flags)) return RecvOutcome::kReceiveAgain;  // discarded; still waiting for data
    fail(out, EAGAIN);
    return RecvOutcome::kSettled;
  }
  return RecvOutcome::kPass;
}

bool connection_settles_connect(int fd, const sockaddr* addr, socklen_t addr_len, Settled* out) {
  switch (shim::conn::mark(fd)) {
    case Mark::kHeldConnect:
      if (readiness_hidden(fd)) return fail(out, EALREADY);
      return false;  // released: the kernel answers (EALREADY, EISCONN)
    case Mark::kReset:
    case Mark::kPendingErrno:
      shim::conn::clear(fd);  // a disconnected socket may connect again
      break;
    case Mark::kNone:
      break;
  }
  if ((call_mode().bits & shim::kModeArmed) == 0 || addr == nullptr || addr->sa_family == AF_UNSPEC)
    return false;
  shim::Verdict v = connect_verdict(fd, addr, addr_len);
  hold_if_stalled(v);  // stall: the thread is held before the call
  if (v.err != 0) return fail(out, v.err);
  if (!v.blackhole) return false;
  if (!nonblocking(fd, 0)) return hold_blocking_connect(fd, addr, addr_len, out);
  if (!shim::conn::set_held_connect(fd, addr, addr_len)) return false;  // table full: connect for real
  return fail(out, EINPROGRESS);
}

int connection_settles_accept(int listen_fd, int conn, bool* again) noexcept {
  *again = false;
  shim::SocketInfo info;
  if (!socket_of(conn, nullptr, 0, &info)) return conn;
  shim::Verdict v = shim::decide(shim::Op::kAccept, abi::Direction::kIngress, info, 0);
  hold_if_stalled(v);  // stall: held before the program sees the connection
  if (v.reset && info.datagram == 0) {
    reset_connection(conn);
    return conn;
  }
  if (v.err == 0) return conn;
  // Refused or failed: the client's connection is aborted and the program never sees it.
  shim::conn::abort_connection(conn);
  shim::g_fd_table.invalidate(conn);
  real::close(conn);
  shim::g_fd_table.invalidate(conn);
  if (v.refuse) {
    if (!nonblocking(listen_fd, 0)) {
      *again = true;
      return -1;
    }
    errno = EAGAIN;
    return -1;
  }
  errno = v.err;
  return -1;
}

ssize_t finish_settled(const Settled& s, abi::CallClass cls, CallMode mode, std::int64_t t0,
                       int saved_errno) noexcept {
  if (mode.telemetry())
    shim::record(cls, shim::now_ns() - t0, s.result > 0 ? static_cast<std::size_t>(s.result) : 0,
                 s.result < 0 ? s.err : 0, true);
  errno = s.result < 0 ? s.err : saved_errno;
  return s.result;
}

bool readiness_hidden(int fd) noexcept {
  if (shim::conn::mark(fd) != Mark::kHeldConnect) return false;
  const shim::conn::PlanStamp stamp = shim::conn::plan_stamp();
  if (stamp == shim::conn::decided_under(fd)) return true;
  shim::conn::set_decided(fd, stamp);
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!shim::conn::held_address(fd, &addr, &len)) return false;
  const shim::Verdict v = connect_verdict(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  if (v.blackhole) return true;
  // The blackhole is gone: the held connect starts now, the kernel takes over.
  shim::conn::clear(fd);
  const int saved = errno;
  real::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  errno = saved;
  shim::g_fd_table.invalidate(fd);
  return false;
}

bool any_readiness_hidden() noexcept {
  return shim::conn::any_held_connect();
}

}  // namespace faultline::preload
