// Armed paths of the data calls. Semantics (SPEC.md, first path):
//   egress latency   wait, then send
//   ingress latency  receive, then wait before returning
//   datagram loss    egress: reported sent, not sent; ingress: consumed and
//                    dropped, then received again (blocking) or EAGAIN
//                    (non-blocking or MSG_DONTWAIT)
//   stream loss      a retransmission stall (rto) before the send / after
//                    the receive; the bytes still arrive
//   slice            a stream call moves at most --max bytes (a short
//                    write or read the program must handle)
//   bandwidth        per descriptor and direction, a token bucket
//                    (shim/bandwidth_table.h); a stream call moves at most a
//                    quantum (10 ms of rate). Egress: the wait is the
//                    message's delay through the delay line (a full queue
//                    pushes back: EAGAIN or a blocking wait). Ingress: a held
//                    descriptor's data is due when paid for at arrival,
//                    otherwise the receive waits in the calling thread
//   corrupt          (datagrams) one bit flipped: egress sends an iovec list
//                    split around a corrupted copy of one byte; ingress flips
//                    it in the program's buffer
//   duplicate        (datagrams) egress sends it twice; ingress receives it
//                    with MSG_PEEK first, and leaves it in the kernel for the
//                    next receive when the fault fires
//   reorder          (datagrams) egress: held in the delay line until --gap
//                    later datagrams went (or kReorderHoldNs); ingress: held
//                    in the line from arrival the same way
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

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>

#include "armed.h"
#include "armed_call.h"
#include "armed_connection.h"
#include "faultline/shim/armed_kinds.h"
#include "faultline/shim/bandwidth_table.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/telemetry_writer.h"
#include "message_view.h"
#include "real_symbols.h"
#include "unselected_call.h"

namespace faultline::preload {

// The repeat a duplicate fault left in the kernel (ingress, datagrams): the
// next receive on the descriptor returns the same datagram again and takes
// no verdict of its own. Forgotten when the number is closed or reused.
static constinit std::atomic<bool> g_repeat_next[shim::FdTable::kCapacity]{};

void forget_repeat(int fd) noexcept {
  if (fd >= 0 && fd < shim::FdTable::kCapacity) g_repeat_next[fd].store(false, std::memory_order_relaxed);
}

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

bool take_repeat(int fd) noexcept {
  if (fd < 0 || fd >= shim::FdTable::kCapacity || !g_repeat_next[fd].load(std::memory_order_relaxed))
    return false;
  return g_repeat_next[fd].exchange(false, std::memory_order_relaxed);
}

bool mark_repeat(int fd) noexcept {
  if (fd < 0 || fd >= shim::FdTable::kCapacity) return false;
  g_repeat_next[fd].store(true, std::memory_order_relaxed);
  return true;
}

// A message a fault reshaped goes out as one sendmsg, with the program's
// destination and ancillary data (on a socket, write and send are sendmsg).
ssize_t send_view(int fd, int flags, const shim::delay::Outgoing& out, const msghdr* msg,
                  const MessageView& view) noexcept {
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(out.addr);
  m.msg_namelen = out.addr_len;
  m.msg_iov = const_cast<iovec*>(view.iov());
  m.msg_iovlen = static_cast<std::size_t>(view.iovcnt());
  if (msg != nullptr) {
    m.msg_control = msg->msg_control;
    m.msg_controllen = msg->msg_controllen;
  }
  return real::sendmsg(fd, &m, flags);
}

// The program's receive made by the shim into `iov` with `flags` (a cut
// buffer, or MSG_PEEK added), as one recvmsg: the source goes to `src` when
// wanted (and is copied out to the program's), else to the program's
// address; `msg` (recvmsg) gets its ancillary data and flags.
ssize_t receive_direct(int fd, int flags, const iovec* iov, int iovcnt, const shim::delay::Incoming& in,
                       msghdr* msg, sockaddr* src, socklen_t* src_len) noexcept {
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = iovcnt > 0 ? static_cast<std::size_t>(iovcnt) : 0;
  if (src != nullptr) {
    m.msg_name = src;
    m.msg_namelen = *src_len;
  } else if (in.addr != nullptr && in.addr_len != nullptr) {
    m.msg_name = in.addr;
    m.msg_namelen = *in.addr_len;
  }
  if (msg != nullptr) {
    m.msg_control = msg->msg_control;
    m.msg_controllen = msg->msg_controllen;
  }
  const ssize_t r = real::recvmsg(fd, &m, flags);
  if (r < 0) return r;
  if (src != nullptr) {
    *src_len = m.msg_namelen;
    copy_address_out(src, *src_len, in.addr, in.addr_len);
  } else if (in.addr != nullptr && in.addr_len != nullptr) {
    *in.addr_len = m.msg_namelen;
  }
  if (msg != nullptr) msg->msg_controllen = m.msg_controllen;
  if (in.msg_flags != nullptr) *in.msg_flags = m.msg_flags;
  return r;
}

// The kinds that change a receive before it is made (the rest act on what it got).
constexpr std::uint32_t kShapesReceive = shim::kind_bit(abi::FaultKind::kSlice) |
                                         shim::kind_bit(abi::FaultKind::kBandwidth) |
                                         shim::kind_bit(abi::FaultKind::kDuplicate);

// The largest stream call slice and bandwidth let through (SIZE_MAX: any).
std::size_t stream_limit(std::uint32_t slice_max, std::uint64_t rate) noexcept {
  std::size_t limit = slice_max != 0 ? slice_max : SIZE_MAX;
  if (rate != 0) limit = std::min(limit, shim::bandwidth::quantum(rate));
  return limit;
}

// One egress call: `send()` performs the program's call; `out` describes it
// for the delay line (`out.addr`: the address sendto/sendmsg names, if any).
// `msg`: sendmsg's header (its ancillary data; such a message cannot wait
// in the line and takes the in-thread wait).
template <class Send>
ssize_t egress(int fd, int flags, const shim::delay::Outgoing& out, Send&& send,
               const msghdr* msg = nullptr) {
  if (unselected_call(fd, abi::Direction::kEgress, out.addr, out.addr_len)) return send();
  const sockaddr* dest = out.addr;
  const socklen_t dest_len = out.addr_len;
  const bool queueable = msg == nullptr || msg->msg_controllen == 0;
  const std::size_t len = iov_bytes(out.iov, out.iovcnt);
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
  // reset, blackhole, errno and what they left on the descriptor (armed_connection.h)
  Settled settled;
  bool by_connection = connection_marked_call(fd, true, flags, &settled);
  if (!by_connection && mode.faults()) {
    v = decide_checked(fd, shim::Op::kSend, abi::Direction::kEgress, info, dest, dest_len, len, &decided_ns);
    by_connection = connection_settles_send(fd, info, v, flags, len, &settled);
  }
  if (by_connection) return finish_settled(settled, send_class(info), mode, t0, saved_errno);
  const bool datagram = info.datagram != 0;
  const bool dropped = v.drop && datagram;
  // The message as the data faults shape it: a stream call cut short
  // (slice, bandwidth), a datagram with one bit flipped (corrupt).
  MessageView view;
  bool reshaped = false;
  if (!datagram && stream_limit(v.slice_max, v.rate_bytes_per_s) < len) {
    view.cut(out.iov, out.iovcnt, stream_limit(v.slice_max, v.rate_bytes_per_s));
    reshaped = true;
  } else if (datagram && v.corrupt && !dropped) {
    reshaped = view.corrupt(out.iov, out.iovcnt, v.entropy);
  }
  shim::delay::Outgoing shaped = out;
  if (reshaped) {
    shaped.iov = view.iov();
    shaped.iovcnt = view.iovcnt();
  }
  const std::size_t bytes = reshaped ? view.bytes() : len;
  // Bandwidth: the message leaves when its bytes are paid for.
  const std::uint64_t rate = dropped ? 0 : v.rate_bytes_per_s;
  const std::int64_t pace = rate != 0 ? shim::bandwidth::reserve(fd, shim::bandwidth::Way::kEgress, rate,
                                                                 v.rate_generation, decided_ns, bytes)
                                      : 0;
  const auto refund_unsent = [&](ssize_t sent) {
    const std::size_t went = sent > 0 ? static_cast<std::size_t>(sent) : 0;
    if (rate != 0 && went < bytes)
      shim::bandwidth::refund(fd, shim::bandwidth::Way::kEgress, rate, v.rate_generation, bytes - went);
  };
  const std::int64_t wait = v.wait_ns() + pace;
  if (rate != 0) shaped.from_ns = decided_ns;
  const std::uint32_t gap = datagram ? v.reorder_gap : 0;
  const bool twice = datagram && v.duplicate && !dropped;
  if (!dropped && queueable && (wait > 0 || gap > 0 || shim::delay::egress_pending(fd))) {
    const ssize_t q = shim::delay::send(fd, info, shaped, wait, nonblocking(fd, flags), gap);
    if (q != -2) {
      const int e = errno;
      // The copy is lost if the queue is full, as a full buffer would lose it.
      if (q >= 0 && twice) shim::delay::send(fd, info, shaped, wait, true);
      refund_unsent(q);
      if (mode.telemetry())
        shim::record(send_class(info), shim::now_ns() - t0, q > 0 ? static_cast<std::size_t>(q) : 0,
                     q < 0 ? e : 0, !v.pass());
      errno = q < 0 ? e : saved_errno;
      return q;
    }
  }
  wait_injected(decided_ns, wait, mode);
  if (dropped) {
    if (mode.telemetry()) shim::record(send_class(info), shim::now_ns() - t0, len, 0, true);
    errno = saved_errno;
    return as_ssize(len);
  }
  errno = saved_errno;
  const ssize_t r = reshaped ? send_view(fd, flags, out, msg, view) : send();
  const int e = errno;
  if (r >= 0 && twice) {
    if (reshaped)
      send_view(fd, flags, out, msg, view);
    else
      send();
  }
  refund_unsent(r);
  if (mode.telemetry())
    shim::record(send_class(info), shim::now_ns() - t0, r > 0 ? static_cast<std::size_t>(r) : 0,
                 r < 0 ? e : 0, !v.pass());
  errno = e;
  return r;
}

// One ingress call: `receive(src, src_len)` performs the program's receive
// once; when `src` is not null it also reports the datagram's source there.
// `in` describes the call for the delay line; `msg` is recvmsg's header.
template <class Receive>
ssize_t ingress(int fd, int flags, const shim::delay::Incoming& in, Receive&& receive,
                msghdr* msg = nullptr) {
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
  if (Settled settled; connection_marked_call(fd, false, flags, &settled))  // a reset or owed errno
    return finish_settled(settled, recv_class(info), mode, mode.telemetry() ? shim::now_ns() : 0,
                          saved_errno);
  const bool datagram = info.datagram != 0;
  // What shapes the receive before it is made: slice and bandwidth cut a
  // stream receive (every matching one: the verdict comes after the data),
  // a duplicate fault makes a datagram receive peek first.
  const shim::ArmedKinds armed = mode.faults() && (flags & MSG_PEEK) == 0
                                     ? shim::armed_kinds(abi::Direction::kIngress, info, kShapesReceive)
                                     : shim::ArmedKinds{};
  MessageView view;
  shim::delay::Incoming shaped = in;
  const bool cut = !datagram && stream_limit(armed.slice_max, armed.rate) < iov_bytes(in.iov, in.iovcnt);
  if (cut) {
    view.cut(in.iov, in.iovcnt, stream_limit(armed.slice_max, armed.rate));
    shaped.iov = view.iov();
    shaped.iovcnt = view.iovcnt();
  }
  if (shim::delay::ingress_managed(fd) ||
      (mode.faults() && (flags & MSG_PEEK) == 0 && shim::delay::could_delay(abi::Direction::kIngress, info) &&
       shim::delay::manage_ingress(fd, info))) {
    const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
    const ssize_t r = shim::delay::receive(fd, shaped, nonblocking(fd, flags));
    if (r != -2) {
      const int e = errno;
      if (mode.telemetry())
        shim::record(recv_class(info), shim::now_ns() - t0, r > 0 ? static_cast<std::size_t>(r) : 0,
                     r < 0 ? e : 0, true);
      errno = r < 0 ? e : saved_errno;
      return r;
    }
  }
  if ((flags & MSG_PEEK) != 0 || (datagram && take_repeat(fd))) {
    errno = saved_errno;
    return receive(nullptr, nullptr);
  }
  // An unconnected datagram socket: the peer to match is each datagram's source.
  const bool want_source = mode.faults() && datagram && info.has_peer == 0;
  const bool peek_first = datagram && armed.has(abi::FaultKind::kDuplicate);
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  bool faulted = false;
  for (;;) {
    sockaddr_storage src;
    socklen_t src_len = sizeof src;
    sockaddr* src_addr = want_source ? reinterpret_cast<sockaddr*>(&src) : nullptr;
    socklen_t* src_len_ptr = want_source ? &src_len : nullptr;
    errno = saved_errno;
    ssize_t r;
    if (cut)
      r = receive_direct(fd, flags, shaped.iov, shaped.iovcnt, in, msg, src_addr, src_len_ptr);
    else if (peek_first)
      r = receive_direct(fd, flags | MSG_PEEK, in.iov, in.iovcnt, in, msg, src_addr, src_len_ptr);
    else
      r = receive(src_addr, src_len_ptr);
    int e = errno;
    Verdict v;
    std::int64_t decided_ns = 0;
    const bool message = r > 0 || (r == 0 && datagram);  // 0 on a stream is end of file
    if (mode.faults() && message) {
      SocketInfo call = info;
      if (src_addr != nullptr) shim::set_peer(call, src_addr, src_len);
      v = decide_checked(fd, shim::Op::kRecv, abi::Direction::kIngress, call, src_addr, src_len,
                         static_cast<std::size_t>(r), &decided_ns);
      faulted = faulted || !v.pass();
    }
    if (peek_first && r >= 0) {
      // Peeked: a duplicate leaves the datagram in the kernel for the next
      // receive; otherwise it is received for real now (the same datagram,
      // unless another thread took it meanwhile: then the one it gets).
      if (!(v.duplicate && !v.drop && mark_repeat(fd))) {
        errno = saved_errno;
        src_len = sizeof src;
        r = receive(src_addr, src_len_ptr);
        e = errno;
      }
    }
    Settled settled;
    const RecvOutcome outcome = connection_settles_recv(fd, info, v, flags, &settled);
    if (outcome == RecvOutcome::kReceiveAgain) continue;
    if (outcome == RecvOutcome::kSettled)
      return finish_settled(settled, recv_class(info), mode, t0, saved_errno);
    if (v.drop && datagram) {
      if (!nonblocking(fd, flags)) continue;  // the program is still waiting for a datagram
      if (mode.telemetry()) shim::record(recv_class(info), shim::now_ns() - t0, 0, EAGAIN, true);
      errno = EAGAIN;
      return -1;
    }
    if (v.corrupt && datagram && r > 0) flip_bit(in.iov, in.iovcnt, static_cast<std::size_t>(r), v.entropy);
    std::int64_t pace = 0;
    if (v.rate_bytes_per_s != 0 && r > 0)
      pace = shim::bandwidth::reserve(fd, shim::bandwidth::Way::kIngress, v.rate_bytes_per_s,
                                      v.rate_generation, decided_ns, static_cast<std::size_t>(r));
    wait_injected(decided_ns, v.wait_ns() + pace, mode);
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
      [&] { return real::sendmsg(fd, msg, flags); }, msg);
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
  return ingress(
      fd, flags, in,
      [&](sockaddr* src, socklen_t* src_len) {
        return recvmsg_with_source(fd, msg, original, flags, src, src_len);
      },
      msg);
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
