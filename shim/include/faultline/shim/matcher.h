// What the engine knows about the socket behind a call, and whether a fault's
// abi::Match selects it. `dst` in a match is always the remote end (the peer
// a datagram goes to or came from), whatever the direction; `src_port` is the
// local port. IPv4-mapped IPv6 peers (::ffff:a.b.c.d) are seen as IPv4, so an
// IPv4 CIDR also selects them on dual-stack sockets.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "faultline/controlplane/abi.h"

namespace faultline::shim {

struct SocketInfo {
  std::uint8_t proto = 0;           // abi::Proto: kTcp, kUdp, kUnix; kAny = another family (never matched)
  std::uint8_t family = 0;          // of peer_addr: 4 or 6; 0 when there is no inet peer
  std::uint8_t datagram = 0;        // 1: message boundaries (SOCK_DGRAM): loss drops instead of stalling
  std::uint8_t has_peer = 0;        // peer_addr and peer_port are set
  std::uint16_t peer_port = 0;      // host order
  std::uint16_t local_port = 0;     // host order
  std::uint8_t peer_addr[16] = {};  // network order; IPv4 in the first 4 bytes
  std::uint64_t inode = 0;          // st_ino of the socket: identity check before a fault changes a call
};
static_assert(sizeof(SocketInfo) == 32, "FdTable stores a SocketInfo in four words");

// Sets the peer from a socket address. False (peer cleared) unless it is
// AF_INET or AF_INET6 and `len` covers it.
bool set_peer(SocketInfo& info, const sockaddr* addr, socklen_t len) noexcept;

// An abi::Match prepared for the hot path: the address already masked.
struct CompiledMatch {
  std::uint8_t proto = 0;   // abi::Proto
  std::uint8_t dir = 0;     // abi::Direction
  std::uint8_t family = 0;  // 0 any, 4, 6
  std::uint8_t pad = 0;
  std::uint16_t dst_port = 0;
  std::uint16_t src_port = 0;
  std::uint8_t addr[16] = {};  // masked to the prefix
  std::uint8_t mask[16] = {};
};
static_assert(sizeof(CompiledMatch) == 40);

// The match must have passed cp::validate_fault (ranges of family, prefix,
// proto and dir); out-of-range prefixes are clamped.
CompiledMatch compile_match(const abi::Match& match) noexcept;

// `call_dir` is kEgress or kIngress. A match with proto kAny selects TCP,
// UDP and unix sockets, never other families (netlink, packet, ...).
bool matches(const CompiledMatch& m, abi::Direction call_dir, const SocketInfo& s) noexcept;

}  // namespace faultline::shim
