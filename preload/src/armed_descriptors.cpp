// Armed paths of the calls that create, connect or retire descriptors: they
// keep the descriptor cache honest (a number that now names something else
// is dropped from it) and time connects and accepts for telemetry.
#include <errno.h>
#include <sys/socket.h>

#include <cstdint>

#include "armed.h"
#include "armed_call.h"
#include "armed_connection.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/telemetry_writer.h"
#include "pq_hooks.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

bool is_tcp(int fd) noexcept {
  shim::SocketInfo info;
  return socket_of(fd, nullptr, 0, &info) && info.proto == static_cast<std::uint8_t>(abi::Proto::kTcp);
}

template <class Accept>
int accept_armed(int fd, Accept&& accept_call) {
  shim::ShimScope scope;
  if (!scope.entered()) return accept_call();
  const CallMode mode = call_mode();
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  const auto accepted = [&] {
    const int c = accept_call();
    if (c >= 0) {
      shim::g_fd_table.invalidate(c);
      shim::conn::clear(c);  // the number may have been closed where the shim does not look
    }
    return c;
  };
  int r = accepted();
  // reset / refuse / errno on the accepting side (armed_connection.h).
  while (r >= 0 && mode.faults()) {
    bool again = false;
    r = connection_settles_accept(fd, r, &again);
    if (!again) break;
    r = accepted();
  }
  const int e = errno;
  if (mode.telemetry() && is_tcp(fd))
    shim::record(abi::CallClass::kTcpAccept, shim::now_ns() - t0, 0, r < 0 ? e : 0);
  errno = e;
  return r;
}

}  // namespace

namespace armed {

int socket(int domain, int type, int protocol) {
  const int fd = real::socket(domain, type, protocol);
  if (fd >= 0) {
    shim::g_fd_table.invalidate(fd);
    shim::conn::clear(fd);
  }
  return fd;
}

int connect(int fd, const sockaddr* addr, socklen_t addr_len) {
  if (pq_refuses_connect(fd, addr, addr_len)) {  // pq-refuse (pq_armed.cpp)
    errno = ECONNREFUSED;
    return -1;
  }
  shim::ShimScope scope;
  if (!scope.entered()) return real::connect(fd, addr, addr_len);
  const CallMode mode = call_mode();
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  Settled settled;
  if (connection_settles_connect(fd, addr, addr_len, &settled)) {  // refuse, errno, blackhole
    if (mode.telemetry() && is_tcp(fd))
      shim::record(abi::CallClass::kTcpConnect, shim::now_ns() - t0, 0, settled.err, true);
    errno = settled.err;
    return static_cast<int>(settled.result);
  }
  // The peer changes (also for a datagram socket, or AF_UNSPEC disconnecting it).
  shim::g_fd_table.invalidate(fd);
  const int r = real::connect(fd, addr, addr_len);
  const int e = errno;
  shim::g_fd_table.invalidate(fd);
  if (mode.telemetry() && is_tcp(fd))
    shim::record(abi::CallClass::kTcpConnect, shim::now_ns() - t0, 0, r < 0 ? e : 0);
  errno = e;
  return r;
}

int accept(int fd, sockaddr* addr, socklen_t* addr_len) {
  return accept_armed(fd, [&] { return real::accept(fd, addr, addr_len); });
}

int accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) {
  return accept_armed(fd, [&] { return real::accept4(fd, addr, addr_len, flags); });
}

int close(int fd) {
  // Before: no fault applies to a descriptor being closed. After: a thread
  // that probed the old socket meanwhile must not leave its facts behind.
  shim::g_fd_table.invalidate(fd);
  shim::conn::clear(fd);
  forget_repeat(fd);
  {
    shim::ShimScope scope;
    if (scope.entered()) shim::delay::on_close(fd);  // queued egress is still written
  }
  const int r = real::close(fd);
  shim::g_fd_table.invalidate(fd);
  return r;
}

int shutdown(int fd, int how) {
  shim::ShimScope scope;
  // With egress queued, the end of the stream goes out after it.
  if (scope.entered() && shim::delay::shutdown_deferred(fd, how)) return 0;
  return real::shutdown(fd, how);
}

int dup2(int old_fd, int new_fd) {
  shim::g_fd_table.invalidate(new_fd);
  if (old_fd != new_fd) {
    shim::conn::clear(new_fd);
    forget_repeat(new_fd);
  }
  const int r = real::dup2(old_fd, new_fd);
  shim::g_fd_table.invalidate(new_fd);
  return r;
}

int dup3(int old_fd, int new_fd, int flags) {
  shim::g_fd_table.invalidate(new_fd);
  if (old_fd != new_fd) {
    shim::conn::clear(new_fd);
    forget_repeat(new_fd);
  }
  const int r = real::dup3(old_fd, new_fd, flags);
  shim::g_fd_table.invalidate(new_fd);
  return r;
}

}  // namespace armed
}  // namespace faultline::preload
