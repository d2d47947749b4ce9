// A compact reject filter over a set of compiled matches: per call
// direction, the union of what the matches require of a socket (protocol,
// peer address family, ports). Built off the hot path when a plan is
// published; checked in a few instructions before the full per-fault scan,
// so a call no fault can select (another protocol, port or direction) costs
// no scan at all.
//
// rejects() is a necessary condition only: true means no match of the set
// selects the call (matches() would be false for every one); false means
// maybe, and the full scan decides. Ports are kept as bits of (port mod 64),
// so two ports 64 apart share a bit and only cost a scan.
#pragma once

#include <cstdint>

#include "faultline/shim/matcher.h"

namespace faultline::shim {

struct MatchFilter {
  struct Side {
    std::uint8_t protos = 0;    // bit (1 << SocketInfo::proto) for each protocol some match accepts
    std::uint8_t families = 0;  // bit family_bit(SocketInfo::family) for each family some match accepts
    std::uint8_t any_port = 0;  // 1: some match names neither port
    std::uint8_t pad = 0;
    std::uint32_t pad2 = 0;
    std::uint64_t dst_ports = 0;  // bit (dst_port & 63) of each match naming a dst_port
    std::uint64_t src_ports = 0;  // bit (src_port & 63) of each match naming only a src_port
  };
  Side sides[2];  // [0] egress calls, [1] ingress calls

  static constexpr std::uint8_t family_bit(std::uint8_t family) noexcept {
    return family == 4 ? 2u : family == 6 ? 4u : 1u;
  }

  // True if no match of the set selects a call in `call_dir` (kEgress or
  // kIngress) on `s`. any_peer: the call's peer is not known yet (an
  // unconnected socket that any peer may send to), so peer-side
  // requirements (family, dst_port) count as met.
  bool rejects(abi::Direction call_dir, const SocketInfo& s, bool any_peer = false) const noexcept {
    const Side& side = sides[call_dir == abi::Direction::kIngress ? 1 : 0];
    if (((side.protos >> (s.proto & 7u)) & 1u) == 0) return true;
    const bool peer_unknown = any_peer && s.has_peer == 0;
    if (!peer_unknown && (side.families & family_bit(s.family)) == 0) return true;
    if (side.any_port != 0) return false;
    if (((side.src_ports >> (s.local_port & 63u)) & 1u) != 0) return false;
    if (peer_unknown) return side.dst_ports == 0;
    return s.has_peer == 0 || ((side.dst_ports >> (s.peer_port & 63u)) & 1u) == 0;
  }
};

// Widens `f` so that it lets through every call `m` selects.
void add_to_filter(MatchFilter& f, const CompiledMatch& m) noexcept;

}  // namespace faultline::shim
