// Pieces every armed wrapper shares: finding the socket behind a descriptor,
// asking the plan (and double-checking the descriptor before a fault changes
// the call), waiting out an injected delay, and the telemetry class of a call.
#pragma once

#include <errno.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/matcher.h"

namespace faultline::preload {

// The mode bits a call saw on entry.
struct CallMode {
  std::uint32_t bits;
  bool faults() const noexcept { return (bits & shim::kModeArmed) != 0; }
  bool telemetry() const noexcept { return (bits & shim::kModeTelemetry) != 0; }
};
CallMode call_mode() noexcept;

// The socket facts of `fd`, with the peer replaced by `peer` for a datagram
// socket when the call names one. False: not a socket (pass through).
bool socket_of(int fd, const sockaddr* peer, socklen_t peer_len, shim::SocketInfo* out) noexcept;

// shim::decide(), and when a fault would change the call, a check that `fd`
// still names the cached socket (the cache may be stale if the descriptor
// was recycled where the shim does not look); on a mismatch the facts are
// read afresh and the plan asked again. A stall fault's hold is carried
// out here, in the calling thread, before anything else (hold_if_stalled):
// every socket call that asks the plan passes through it, and the verdict
// returned has hold_ns 0 (still counted in `fired`: the call was faulted).
// `*decided_ns` is when the verdict was taken, after the hold (an injected
// delay counts from there); set only if not pass.
shim::Verdict decide_checked(int fd, shim::Op op, abi::Direction dir, shim::SocketInfo& info,
                             const sockaddr* peer, socklen_t peer_len, std::size_t len,
                             std::int64_t* decided_ns) noexcept;

// stall --delay D: holds the calling thread for v.hold_ns with the precise
// wait (wait_injected: recorded as kInjectedDelay), then zeroes it so that
// nothing holds twice. Never through the delay line: a stall stops the
// thread, not its messages. A send or connect is held before the call; a
// receive after its data arrived (its verdict is taken on what it got),
// before the program sees it.
void hold_if_stalled(shim::Verdict& v) noexcept;

// Waits until decided_ns + wait_ns on the calling thread with the precise
// hybrid wait, thread cancellation held off meanwhile (the wait is not one
// of the program's cancellation points). Records kInjectedDelay.
void wait_injected(std::int64_t decided_ns, std::int64_t wait_ns, CallMode mode) noexcept;

abi::CallClass send_class(const shim::SocketInfo& s) noexcept;
abi::CallClass recv_class(const shim::SocketInfo& s) noexcept;

// A receive on a non-blocking socket (or with MSG_DONTWAIT). Preserves errno.
bool nonblocking(int fd, int flags) noexcept;

// A descriptor number was closed or reused: a duplicate fault's pending
// repeat (armed_io.cpp) no longer applies to it.
void forget_repeat(int fd) noexcept;

// Copies a socket address out the way the kernel does: at most *dst_len
// bytes, and *dst_len set to the full length.
void copy_address_out(const sockaddr* src, socklen_t src_len, sockaddr* dst, socklen_t* dst_len) noexcept;

}  // namespace faultline::preload
