#include "armed_call.h"

#include <fcntl.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "faultline/shim/clock.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/precise_wait.h"
#include "faultline/shim/telemetry_writer.h"

namespace faultline::preload {

CallMode call_mode() noexcept {
  return CallMode{shim::g_mode.load(std::memory_order_relaxed)};
}

bool socket_of(int fd, const sockaddr* peer, socklen_t peer_len, shim::SocketInfo* out) noexcept {
  if (!shim::g_fd_table.lookup(fd, out)) return false;
  if (peer != nullptr && out->datagram != 0) shim::set_peer(*out, peer, peer_len);
  return true;
}

shim::Verdict decide_checked(int fd, shim::Op op, abi::Direction dir, shim::SocketInfo& info,
                             const sockaddr* peer, socklen_t peer_len, std::size_t len,
                             std::int64_t* decided_ns) noexcept {
  // An injected delay counts from here: asking the plan and checking the
  // descriptor (an fstat) are slow when the caches are cold, which they are
  // after a long delay; counted inside the delay, they do not make it late.
  const std::int64_t asked_ns = shim::now_ns();
  shim::Verdict v = shim::decide(op, dir, info, len);
  if (v.pass()) return v;
  if (!shim::FdTable::same_socket(fd, info)) {
    shim::g_fd_table.invalidate(fd);
    if (!socket_of(fd, peer, peer_len, &info)) return shim::Verdict{};
    v = shim::decide(op, dir, info, len);
    if (v.pass()) return v;
  }
  const bool held = v.hold_ns > 0;
  hold_if_stalled(v);
  *decided_ns = held ? shim::now_ns() : asked_ns;  // after a hold: an injected delay adds to it
  return v;
}

void hold_if_stalled(shim::Verdict& v) noexcept {
  if (v.hold_ns <= 0) return;
  wait_injected(shim::now_ns(), v.hold_ns, call_mode());
  v.hold_ns = 0;
}

void wait_injected(std::int64_t decided_ns, std::int64_t wait_ns, CallMode mode) noexcept {
  if (wait_ns <= 0) return;
  int old_state = PTHREAD_CANCEL_ENABLE;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_state);
  shim::wait_until_ns(decided_ns + wait_ns);
  pthread_setcancelstate(old_state, nullptr);
  if (mode.telemetry()) shim::record(abi::CallClass::kInjectedDelay, shim::now_ns() - decided_ns, 0, 0, true);
}

abi::CallClass send_class(const shim::SocketInfo& s) noexcept {
  switch (static_cast<abi::Proto>(s.proto)) {
    case abi::Proto::kTcp:
      return abi::CallClass::kTcpSend;
    case abi::Proto::kUdp:
      return abi::CallClass::kUdpSend;
    case abi::Proto::kUnix:
      return abi::CallClass::kUnixSend;
    default:
      return abi::CallClass::kOtherIo;
  }
}

abi::CallClass recv_class(const shim::SocketInfo& s) noexcept {
  switch (static_cast<abi::Proto>(s.proto)) {
    case abi::Proto::kTcp:
      return abi::CallClass::kTcpRecv;
    case abi::Proto::kUdp:
      return abi::CallClass::kUdpRecv;
    case abi::Proto::kUnix:
      return abi::CallClass::kUnixRecv;
    default:
      return abi::CallClass::kOtherIo;
  }
}

bool nonblocking(int fd, int flags) noexcept {
  if ((flags & MSG_DONTWAIT) != 0) return true;
  const int saved = errno;
  const int fl = fcntl(fd, F_GETFL);
  errno = saved;
  return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

void copy_address_out(const sockaddr* src, socklen_t src_len, sockaddr* dst, socklen_t* dst_len) noexcept {
  if (dst == nullptr || dst_len == nullptr) return;
  std::memcpy(dst, src, std::min(*dst_len, src_len));
  *dst_len = src_len;
}

}  // namespace faultline::preload
