// The shortcut of the armed data calls (armed_io.cpp) for a call no fault
// can select, ahead of their full path.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/matcher.h"
#include "faultline/shim/plan.h"

namespace faultline::preload {

// The shortcut of an armed data call that no fault can select: faults are
// armed and nothing else is on (no telemetry to record, no delay line
// holding data of any descriptor), and the plan's reject filter turns the
// socket down (or `fd` is no socket: the full path passes it too). True:
// make the real call and nothing else. Inline, so the common unmatched call
// costs a few loads and no call into the shim; touches neither errno nor
// the recursion guard. `peer`: the address a datagram send names (may be
// null). Ingress: the peer of an unconnected socket is each datagram's
// source, unknown yet, so peer-side requirements count as met.
inline bool unselected_call(int fd, abi::Direction dir, const sockaddr* peer, socklen_t peer_len) noexcept {
  if ((shim::g_mode.load(std::memory_order_relaxed) & ~shim::kModeLibcCalls) != shim::kModeArmed)
    return false;
  const shim::Plan* plan = shim::g_plan.load(std::memory_order_acquire);
  if (plan == nullptr) return false;
  const std::uint64_t version = plan->version.load(std::memory_order_acquire);
  if (version & 1u) return false;
  shim::SocketInfo info;
  if (!shim::g_fd_table.lookup(fd, &info)) return true;
  if (peer != nullptr && info.datagram != 0) shim::set_peer(info, peer, peer_len);
  const bool rejected = plan->filter.rejects(dir, info, dir == abi::Direction::kIngress);
  std::atomic_thread_fence(std::memory_order_acquire);
  return rejected && plan->version.load(std::memory_order_relaxed) == version;
}

}  // namespace faultline::preload
