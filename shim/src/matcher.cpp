#include "faultline/shim/matcher.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace faultline::shim {
namespace {

constexpr std::uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void clear_peer(SocketInfo& info) noexcept {
  info.has_peer = 0;
  info.family = 0;
  info.peer_port = 0;
  std::memset(info.peer_addr, 0, sizeof info.peer_addr);
}

}  // namespace

bool set_peer(SocketInfo& info, const sockaddr* addr, socklen_t len) noexcept {
  clear_peer(info);
  if (addr == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return false;
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof in);
    std::memcpy(info.peer_addr, &in.sin_addr, 4);
    info.peer_port = ntohs(in.sin_port);
    info.family = 4;
  } else if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof in6);
    info.peer_port = ntohs(in6.sin6_port);
    if (std::memcmp(in6.sin6_addr.s6_addr, kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
      std::memcpy(info.peer_addr, in6.sin6_addr.s6_addr + 12, 4);
      info.family = 4;
    } else {
      std::memcpy(info.peer_addr, in6.sin6_addr.s6_addr, 16);
      info.family = 6;
    }
  } else {
    return false;
  }
  info.has_peer = 1;
  return true;
}

CompiledMatch compile_match(const abi::Match& match) noexcept {
  CompiledMatch m;
  m.proto = match.proto;
  m.dir = match.dir;
  m.family = match.family;
  m.dst_port = match.dst_port;
  m.src_port = match.src_port;
  if (m.family == 4 || m.family == 6) {
    const unsigned max_bits = m.family == 4 ? 32u : 128u;
    const unsigned bits = std::min<unsigned>(match.prefix_len, max_bits);
    for (unsigned i = 0; i < 16; ++i) {
      const unsigned first = i * 8;
      const unsigned take = bits > first ? std::min(8u, bits - first) : 0u;
      m.mask[i] = static_cast<std::uint8_t>(take == 0 ? 0 : 0xffu << (8 - take));
      m.addr[i] = static_cast<std::uint8_t>(match.addr[i] & m.mask[i]);
    }
  } else {
    m.family = 0;
  }
  return m;
}

bool matches(const CompiledMatch& m, abi::Direction call_dir, const SocketInfo& s) noexcept {
  if (m.dir != static_cast<std::uint8_t>(abi::Direction::kBoth) &&
      m.dir != static_cast<std::uint8_t>(call_dir))
    return false;
  if (m.proto == static_cast<std::uint8_t>(abi::Proto::kAny)) {
    if (s.proto == static_cast<std::uint8_t>(abi::Proto::kAny)) return false;
  } else if (m.proto != s.proto) {
    return false;
  }
  if (m.src_port != 0 && m.src_port != s.local_port) return false;
  if (m.dst_port != 0 && (s.has_peer == 0 || m.dst_port != s.peer_port)) return false;
  if (m.family != 0) {
    if (s.has_peer == 0 || s.family != m.family) return false;
    const unsigned bytes = m.family == 4 ? 4u : 16u;
    for (unsigned i = 0; i < bytes; ++i)
      if ((s.peer_addr[i] & m.mask[i]) != m.addr[i]) return false;
  }
  return true;
}

}  // namespace faultline::shim
