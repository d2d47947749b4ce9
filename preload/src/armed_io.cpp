// Armed paths of the data calls. Semantics (SPEC.md, first path):
//   egress latency   wait, then send
//   ingress latency  receive, then wait before returning
//   datagram loss    egress: reported sent, not sent; ingress: consumed and
//                    dropped, then received again (blocking) or EAGAIN
//                    (non-blocking or MSG_DONTWAIT)
//   stream loss      a retransmission stall (rto) before the send / after
//                    the receive; the bytes still arrive
// Delays go through the delay line (shim/delay_line.h) when its engine runs:
// a delayed send is queued and reported sent, and the receives of a socket
// an ingress latency fault concerns are served from the line (data stamped
// on arrival, returned when due), so neither stalls the thread per message;
// without the engine they are waited in the calling thread. A call already
// blocked in the kernel when a fault is armed completes unfaulted (the fault
// applies from the next call).
// EINTR and partial transfers are returned as the real call made them; the
// injected wait itself resumes after signal handlers. MSG_PEEK and
// MSG_ERRQUEUE receives pass through untouched (they consume nothing).
// Telemetry durations are what the program experienced, injected delays
// included; kInjectedDelay records the injected part alone.
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "armed.h"
#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "real_symbols.h"
#include "unselected_call.h"

namespace faultline::preload {
namespace {

using shim::SocketInfo;
using shim::Verdict;

shim::delay::Outgoing outgoing(const iovec* iov, int iovcnt, const sockaddr* addr = nullptr,
                               socklen_t addr_len = 0) noexcept {
  shim::delay::Outgoing o;
  o.iov = iov;
  o.iovcnt = iov != nullptr && iovcnt > 0 ? iovcnt : 0;
  o.addr = addr;
  o.addr_len = addr != nullptr ? addr_len : 0;
  return o;
}

shim::delay::Incoming incoming(const iovec* iov, int iovcnt, int flags, sockaddr* addr = nullptr,
                               socklen_t* addr_len = nullptr) noexcept {
  shim::delay::Incoming in;
  in.iov = iov;
  in.iovcnt = iov != nullptr && iovcnt > 0 ? iovcnt : 0;
  in.addr = addr;
  in.addr_len = addr != nullptr ? addr_len : nullptr;
  in.flags = flags;
  return in;
}

// A held descriptor's messages carry no ancillary data (it stayed in the kernel).
bool ingress_held(int fd) noexcept {
  return shim::delay::ingress_managed(fd);
}

ssize_t as_ssize(std::size_t n) noexcept {
  return n > static_cast<std::size_t>(SSIZE_MAX) ? SSIZE_MAX : static_cast<ssize_t>(n);
}

// One egress call: `send()` performs the program's call; `out` describes it
// for the delay line (`out.addr`: the address sendto/sendmsg names, if any).
// `queueable`: false when the message cannot wait in the line (ancillary data).
template <class Send>
ssize_t egress(int fd, int flags, const shim::delay::Outgoing& out, Send&& send, bool queueable = true) {
  if (unselected_call(fd, abi::Direction::kEgress, out.addr, out.addr_len)) return send();
  const sockaddr* dest = out.addr;
  const socklen_t dest_len = out.addr_len;
  std::size_t len = 0;
  for (int i = 0; i < out.iovcnt; ++i) len += out.iov[i].iov_len;
  shim::ShimScope scope;
  if (!scope.entered()) return send();
  const int saved_errno = errno;
  const CallMode mode = call_mode();
  SocketInfo info;
  if (!socket_of(fd, dest, dest_len, &info)) {
    errno = saved_errno;
    return send();
  }
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  Verdict v;
  std::int64_t decided_ns = 0;
  if (mode.faults())
    v = decide_checked(fd, shim::Op::kSend, abi::Direction::kEgress, info, dest, dest_len, len, &decided_ns);
  if (!(v.drop && info.datagram != 0) && queueable && (v.wait_ns() > 0 || shim::delay::egress_pending(fd))) {
    const ssize_t q = shim::delay::send(fd, info, out, v.wait_ns(), nonblocking(fd, flags));
    if (q != -2) {
      const int e = errno;
      if (mode.telemetry())
        shim::record(send_class(info), shim::now_ns() - t0, q > 0 ? static_cast<std::size_t>(q) : 0,
                     q < 0 ? e : 0, !v.pass());
      errno = q < 0 ? e : saved_errno;
      return q;
    }
  }
  wait_injected(decided_ns, v.wait_ns(), mode);
  if (v.drop && info.datagram != 0) {
    if (mode.telemetry()) shim::record(send_class(info), shim::now_ns() - t0, len, 0, true);
    errno = saved_errno;
    return as_ssize(len);
  }
  errno = saved_errno;
  const ssize_t r = send();
  if (mode.telemetry()) {
    const int e = errno;
    shim::record(send_class(info), shim::now_ns() - t0, r > 0 ? static_cast<std::size_t>(r) : 0,
                 r < 0 ? e : 0, !v.pass());
    errno = e;
  }
  return r;
}

// One ingress call: `receive(src, src_len)` performs the program's receive
// once; when `src` is not null it also reports the datagram's source there.
// `in` describes the call for the delay line.
template <class Receive>
ssize_t ingress(int fd, int flags, const shim::delay::Incoming& in, Receive&& receive) {
  if (unselected_call(fd, abi::Direction::kIngress, nullptr, 0)) return receive(nullptr, nullptr);
  shim::ShimScope scope;
  if (!scope.entered()) return receive(nullptr, nullptr);
  const int saved_errno = errno;
  const CallMode mode = call_mode();
  SocketInfo info;
  if ((flags & MSG_ERRQUEUE) != 0 || !socket_of(fd, nullptr, 0, &info)) {
    errno = saved_errno;
    return receive(nullptr, nullptr);
  }
  if (shim::delay::ingress_managed(fd) ||
      (mode.faults() && (flags & MSG_PEEK) == 0 && shim::delay::could_delay(abi::Direction::kIngress, info) &&
       shim::delay::manage_ingress(fd, info))) {
    const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
    const ssize_t r = shim::delay::receive(fd, in, nonblocking(fd, flags));
    if (r != -2) {
      const int e = errno;
      if (mode.telemetry())
        shim::record(recv_class(info), shim::now_ns() - t0, r > 0 ? static_cast<std::size_t>(r) : 0,
                     r < 0 ? e : 0, true);
      errno = r < 0 ? e : saved_errno;
      return r;
    }
  }
  if ((flags & MSG_PEEK) != 0) {
    errno = saved_errno;
    return receive(nullptr, nullptr);
  }
  // An unconnected datagram socket: the peer to match is each datagram's source.
  const bool want_source = mode.faults() && info.datagram != 0 && info.has_peer == 0;
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  bool faulted = false;
  for (;;) {
    sockaddr_storage src;
    socklen_t src_len = sizeof src;
    sockaddr* src_addr = want_source ? reinterpret_cast<sockaddr*>(&src) : nullptr;
    errno = saved_errno;
    const ssize_t r = receive(src_addr, want_source ? &src_len : nullptr);
    const int e = errno;
    Verdict v;
    std::int64_t decided_ns = 0;
    const bool message = r > 0 || (r == 0 && info.datagram != 0);  // 0 on a stream is end of file
    if (mode.faults() && message) {
      SocketInfo call = info;
      if (src_addr != nullptr) shim::set_peer(call, src_addr, src_len);
      v = decide_checked(fd, shim::Op::kRecv, abi::Direction::kIngress, call, src_addr, src_len,
                         static_cast<std::size_t>(r), &decided_ns);
      faulted = faulted || !v.pass();
    }
    if (v.drop && info.datagram != 0) {
      if (!nonblocking(fd, flags)) continue;  // the program is still waiting for a datagram
      if (mode.telemetry()) shim::record(recv_class(info), shim::now_ns() - t0, 0, EAGAIN, true);
      errno = EAGAIN;
      return -1;
    }
    wait_injected(decided_ns, v.wait_ns(), mode);
    if (mode.telemetry())
      shim::record(recv_class(info), shim::now_ns() - t0, r > 0 ? static_cast<std::size_t>(r) : 0,
                   r < 0 ? e : 0, faulted);
    errno = e;
    return r;
  }
}

// recvmsg with a source address the program may not have asked for.
ssize_t recvmsg_with_source(int fd, msghdr* msg, const msghdr& original, int flags, sockaddr* src,
                            socklen_t* src_len) {
  *msg = original;  // a retry after a dropped datagram starts from the program's lengths
  if (src == nullptr) return real::recvmsg(fd, msg, flags);
  msg->msg_name = src;
  msg->msg_namelen = *src_len;
  const ssize_t r = real::recvmsg(fd, msg, flags);
  *src_len = msg->msg_namelen;
  msg->msg_name = original.msg_name;
  msg->msg_namelen = original.msg_namelen;
  if (r >= 0 && original.msg_name != nullptr)
    copy_address_out(src, *src_len, static_cast<sockaddr*>(original.msg_name), &msg->msg_namelen);
  return r;
}

}  // namespace

namespace armed {

ssize_t send(int fd, const void* buf, size_t len, int flags) {
  const iovec iov{const_cast<void*>(buf), len};
  return egress(fd, flags, outgoing(&iov, 1), [&] { return real::send(fd, buf, len, flags); });
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr, socklen_t addr_len) {
  const iovec iov{const_cast<void*>(buf), len};
  return egress(fd, flags, outgoing(&iov, 1, addr, addr_len),
                [&] { return real::sendto(fd, buf, len, flags, addr, addr_len); });
}

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (msg == nullptr) return real::sendmsg(fd, msg, flags);
  // Ancillary data cannot wait in the line: such a message takes the in-thread wait.
  return egress(
      fd, flags,
      outgoing(msg->msg_iov, static_cast<int>(msg->msg_iovlen), static_cast<const sockaddr*>(msg->msg_name),
               msg->msg_namelen),
      [&] { return real::sendmsg(fd, msg, flags); }, msg->msg_controllen == 0);
}

ssize_t write(int fd, const void* buf, size_t len) {
  const iovec iov{const_cast<void*>(buf), len};
  return egress(fd, 0, outgoing(&iov, 1), [&] { return real::write(fd, buf, len); });
}

ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  return egress(fd, 0, outgoing(iov, iovcnt), [&] { return real::writev(fd, iov, iovcnt); });
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
  const iovec iov{buf, len};
  return ingress(fd, flags, incoming(&iov, 1, flags), [&](sockaddr* src, socklen_t* src_len) {
    return src != nullptr ? real::recvfrom(fd, buf, len, flags, src, src_len)
                          : real::recv(fd, buf, len, flags);
  });
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* addr_len) {
  const iovec iov{buf, len};
  return ingress(fd, flags, incoming(&iov, 1, flags, addr, addr_len), [&](sockaddr* src, socklen_t* src_len) {
    if (src == nullptr) return real::recvfrom(fd, buf, len, flags, addr, addr_len);
    const ssize_t r = real::recvfrom(fd, buf, len, flags, src, src_len);
    if (r >= 0) copy_address_out(src, *src_len, addr, addr_len);
    return r;
  });
}

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (msg == nullptr) return real::recvmsg(fd, msg, flags);
  const msghdr original = *msg;
  shim::delay::Incoming in = incoming(msg->msg_iov, static_cast<int>(msg->msg_iovlen), flags,
                                      static_cast<sockaddr*>(msg->msg_name), &msg->msg_namelen);
  in.msg_flags = &msg->msg_flags;
  msg->msg_controllen = msg->msg_control != nullptr && ingress_held(fd) ? 0 : msg->msg_controllen;
  return ingress(fd, flags, in, [&](sockaddr* src, socklen_t* src_len) {
    return recvmsg_with_source(fd, msg, original, flags, src, src_len);
  });
}

ssize_t read(int fd, void* buf, size_t len) {
  const iovec iov{buf, len};
  return ingress(fd, 0, incoming(&iov, 1, 0), [&](sockaddr* src, socklen_t* src_len) {
    return src != nullptr ? real::recvfrom(fd, buf, len, 0, src, src_len) : real::read(fd, buf, len);
  });
}

ssize_t readv(int fd, const iovec* iov, int iovcnt) {
  return ingress(fd, 0, incoming(iov, iovcnt, 0), [&](sockaddr* src, socklen_t* src_len) -> ssize_t {
    if (src == nullptr) return real::readv(fd, iov, iovcnt);
    msghdr m{};
    m.msg_name = src;
    m.msg_namelen = *src_len;
    m.msg_iov = const_cast<iovec*>(iov);
    m.msg_iovlen = iovcnt > 0 ? static_cast<std::size_t>(iovcnt) : 0;
    const ssize_t r = real::recvmsg(fd, &m, 0);
    *src_len = m.msg_namelen;
    return r;
  });
}

// The fortify variants: an overflowing call goes straight to glibc, which
// reports it (__chk_fail) exactly as without the shim.
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buf_len, int flags) {
  if (len > buf_len) return real::__recv_chk(fd, buf, len, buf_len, flags);
  const iovec iov{buf, len};
  return ingress(fd, flags, incoming(&iov, 1, flags), [&](sockaddr* src, socklen_t* src_len) {
    return src != nullptr ? real::recvfrom(fd, buf, len, flags, src, src_len)
                          : real::__recv_chk(fd, buf, len, buf_len, flags);
  });
}

ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buf_len, int flags, sockaddr* addr,
                       socklen_t* addr_len) {
  if (len > buf_len) return real::__recvfrom_chk(fd, buf, len, buf_len, flags, addr, addr_len);
  const iovec iov{buf, len};
  return ingress(fd, flags, incoming(&iov, 1, flags, addr, addr_len), [&](sockaddr* src, socklen_t* src_len) {
    if (src == nullptr) return real::__recvfrom_chk(fd, buf, len, buf_len, flags, addr, addr_len);
    const ssize_t r = real::recvfrom(fd, buf, len, flags, src, src_len);
    if (r >= 0) copy_address_out(src, *src_len, addr, addr_len);
    return r;
  });
}

ssize_t __read_chk(int fd, void* buf, size_t len, size_t buf_len) {
  if (len > buf_len) return real::__read_chk(fd, buf, len, buf_len);
  const iovec iov{buf, len};
  return ingress(fd, 0, incoming(&iov, 1, 0), [&](sockaddr* src, socklen_t* src_len) {
    return src != nullptr ? real::recvfrom(fd, buf, len, 0, src, src_len)
                          : real::__read_chk(fd, buf, len, buf_len);
  });
}

}  // namespace armed
}  // namespace faultline::preload
