// What the published plan holds for a socket, without drawing or counting
// anything: the wrappers ask before a call whose shape a fault changes (a
// stream receive cut by slice or bandwidth, a datagram receive a duplicate
// fault may repeat, a batch that must be split into messages).
// Lock-free, no syscall.
#pragma once

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/matcher.h"

namespace faultline::shim {

struct ArmedKinds {
  std::uint32_t kinds = 0;      // bit 1 << FaultKind of each fault that selects the traffic
  std::uint32_t slice_max = 0;  // the smallest --max of those slice faults (0: none)
  std::uint64_t rate = 0;       // the lowest --rate of those bandwidth faults (0: none)

  bool any() const noexcept { return kinds != 0; }
  bool has(abi::FaultKind kind) const noexcept { return (kinds >> static_cast<unsigned>(kind)) & 1u; }
};

inline constexpr std::uint32_t kind_bit(abi::FaultKind kind) noexcept {
  return 1u << static_cast<unsigned>(kind);
}

// The published faults that select `dir` traffic of `socket`; for an
// unconnected socket, from or to any peer. Only faults whose kind is in
// `kinds` (kind_bit()s) are looked at: when the plan holds none of them, no
// scan is made.
ArmedKinds armed_kinds(abi::Direction dir, const SocketInfo& socket, std::uint32_t kinds = ~0u) noexcept;

}  // namespace faultline::shim
