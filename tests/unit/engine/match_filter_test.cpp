#include "faultline/shim/match_filter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <random>
#include <vector>

#include "faultline/testing/loopback.h"

namespace faultline::shim {
namespace {

constexpr auto kEgress = abi::Direction::kEgress;
constexpr auto kIngress = abi::Direction::kIngress;

SocketInfo tcp_to(std::uint16_t peer_port, std::uint16_t local_port) {
  SocketInfo s;
  s.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  s.local_port = local_port;
  sockaddr_in a = testing::loopback(peer_port);
  set_peer(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return s;
}

CompiledMatch match_of(abi::Proto proto, abi::Direction dir, std::uint16_t dst_port,
                       std::uint16_t src_port = 0) {
  abi::Match m{};
  m.proto = static_cast<std::uint8_t>(proto);
  m.dir = static_cast<std::uint8_t>(dir);
  m.dst_port = dst_port;
  m.src_port = src_port;
  return compile_match(m);
}

MatchFilter filter_of(const std::vector<CompiledMatch>& ms) {
  MatchFilter f;
  for (const CompiledMatch& m : ms) add_to_filter(f, m);
  return f;
}

TEST(MatchFilter, ShouldRejectCallsOnAnotherPortProtocolOrDirection) {
  const MatchFilter f = filter_of({match_of(abi::Proto::kTcp, kEgress, 5432)});
  EXPECT_FALSE(f.rejects(kEgress, tcp_to(5432, 40000)));
  EXPECT_TRUE(f.rejects(kEgress, tcp_to(5433, 40000)));
  EXPECT_TRUE(f.rejects(kIngress, tcp_to(5432, 40000)));
  SocketInfo udp = tcp_to(5432, 40000);
  udp.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  EXPECT_TRUE(f.rejects(kEgress, udp));
  SocketInfo unconnected = tcp_to(5432, 40000);
  unconnected.has_peer = 0;
  unconnected.family = 0;
  unconnected.peer_port = 0;
  EXPECT_TRUE(f.rejects(kEgress, unconnected));
}

TEST(MatchFilter, ShouldLetAnyPeerThroughWhenThePeerIsNotKnownYet) {
  const MatchFilter f = filter_of({match_of(abi::Proto::kUdp, abi::Direction::kBoth, 53)});
  SocketInfo s;
  s.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  s.datagram = 1;
  s.local_port = 40000;
  EXPECT_TRUE(f.rejects(kIngress, s));
  EXPECT_FALSE(f.rejects(kIngress, s, /*any_peer=*/true));
}

TEST(MatchFilter, ShouldRejectNothingAnyMatchSelects) {
  // Random matches and sockets over a small domain, so that ports, protocols,
  // directions and families collide often: whenever the filter rejects a
  // call, no match of the set may select it (with the peer known, or unknown
  // as the delay line's could_delay sees an unconnected socket).
  std::mt19937_64 rng(20261204);
  const std::uint16_t ports[] = {0, 53, 117, 5432, 5432 + 64, 40000};
  auto pick = [&](auto n) { return static_cast<unsigned>(rng() % n); };
  int rejected = 0;
  for (int set = 0; set < 400; ++set) {
    std::vector<CompiledMatch> ms;
    const unsigned n = 1 + pick(4u);
    for (unsigned i = 0; i < n; ++i) {
      abi::Match m{};
      m.proto = static_cast<std::uint8_t>(pick(4u));
      m.dir = static_cast<std::uint8_t>(pick(3u));
      m.dst_port = ports[pick(6u)];
      m.src_port = pick(3u) == 0 ? ports[pick(6u)] : 0;
      if (pick(3u) == 0) {
        m.family = pick(2u) == 0 ? 4 : 6;
        m.prefix_len = 0;
      }
      ms.push_back(compile_match(m));
    }
    const MatchFilter f = filter_of(ms);
    for (int k = 0; k < 200; ++k) {
      SocketInfo s = tcp_to(ports[pick(6u)], ports[pick(6u)]);
      s.proto = static_cast<std::uint8_t>(pick(4u));
      if (pick(4u) == 0) {
        s.has_peer = 0;
        s.family = 0;
        s.peer_port = 0;
      } else if (pick(4u) == 0) {
        s.family = 6;
      }
      for (const abi::Direction dir : {kEgress, kIngress}) {
        for (const bool any_peer : {false, true}) {
          if (!f.rejects(dir, s, any_peer)) continue;
          ++rejected;
          for (CompiledMatch m : ms) {
            if (any_peer && s.has_peer == 0) {
              m.family = 0;
              m.dst_port = 0;
            }
            EXPECT_FALSE(matches(m, dir, s)) << "set " << set << " call " << k;
          }
        }
      }
    }
  }
  EXPECT_GT(rejected, 1000);  // the filter does turn calls down
}

}  // namespace
}  // namespace faultline::shim
