// sendmmsg and recvmmsg when armed: a batch whose socket a fault selects (or
// whose descriptor has data in the delay line, or while telemetry records)
// is carried out one message at a time through the armed sendmsg/recvmsg,
// so each message meets the faults on its own (loss drops one message of
// the batch, latency delays it, ...). Return counts follow the kernel's:
// the number of messages sent or received, each msg_len set; an error after
// the first message ends the batch early and is not reported (errno
// untouched); before the first, -1 with errno. Other batches go to the
// kernel whole.
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include <cstdint>

#include "armed.h"
#include "armed_call.h"
#include "faultline/shim/armed_kinds.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/engine.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

constexpr std::int64_t kNsPerS = 1'000'000'000;

// Whether the batch on `fd` goes message by message; *datagram tells its kind.
bool per_message(int fd, abi::Direction dir, bool* datagram) noexcept {
  shim::ShimScope scope;
  if (!scope.entered()) return false;
  const int saved = errno;
  shim::SocketInfo info;
  bool split = false;
  if (socket_of(fd, nullptr, 0, &info)) {
    const CallMode mode = call_mode();
    const bool line =
        dir == abi::Direction::kEgress ? shim::delay::egress_pending(fd) : shim::delay::ingress_managed(fd);
    // A descriptor a connection fault marked (reset, held connect) answers
    // by its mark, also after the fault was cleared.
    const bool marked = shim::conn::mark(fd) != shim::conn::Mark::kNone;
    split = mode.telemetry() || line || marked || (mode.faults() && shim::armed_kinds(dir, info).any());
    *datagram = info.datagram != 0;
  }
  errno = saved;
  return split;
}

}  // namespace

namespace armed {

int sendmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags) {
  bool datagram = false;
  if (vec == nullptr || vlen == 0 || !per_message(fd, abi::Direction::kEgress, &datagram))
    return real::sendmmsg(fd, vec, vlen, flags);
  const int saved = errno;
  unsigned int sent = 0;
  while (sent < vlen) {
    msghdr& m = vec[sent].msg_hdr;
    const ssize_t r = armed::sendmsg(fd, &m, flags);
    if (r < 0) {
      if (sent == 0) return -1;
      break;
    }
    vec[sent].msg_len = static_cast<unsigned int>(r);
    ++sent;
    // A stream cut short: what follows must not go ahead of the rest.
    std::size_t whole = 0;
    for (std::size_t i = 0; i < m.msg_iovlen; ++i) whole += m.msg_iov[i].iov_len;
    if (!datagram && static_cast<std::size_t>(r) < whole) break;
  }
  errno = saved;
  return static_cast<int>(sent);
}

int recvmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags, struct timespec* timeout) {
  bool datagram = false;
  if (vec == nullptr || vlen == 0 || !per_message(fd, abi::Direction::kIngress, &datagram))
    return real::recvmmsg(fd, vec, vlen, flags, timeout);
  const int saved = errno;
  // As the kernel: the timeout is looked at after each message.
  const std::int64_t deadline =
      timeout != nullptr ? shim::now_ns() + timeout->tv_sec * kNsPerS + timeout->tv_nsec : INT64_MAX;
  int each = flags & ~MSG_WAITFORONE;
  unsigned int got = 0;
  while (got < vlen) {
    const ssize_t r = armed::recvmsg(fd, &vec[got].msg_hdr, each);
    if (r < 0) {
      if (got == 0) return -1;
      break;
    }
    vec[got].msg_len = static_cast<unsigned int>(r);
    ++got;
    if (r == 0 && !datagram) break;  // end of stream
    if ((flags & MSG_WAITFORONE) != 0) each |= MSG_DONTWAIT;
    if (timeout != nullptr && shim::now_ns() >= deadline) break;
  }
  if (timeout != nullptr) {
    const std::int64_t left = deadline - shim::now_ns();
    timeout->tv_sec = left > 0 ? left / kNsPerS : 0;
    timeout->tv_nsec = left > 0 ? left % kNsPerS : 0;
  }
  errno = saved;
  return static_cast<int>(got);
}

}  // namespace armed
}  // namespace faultline::preload
