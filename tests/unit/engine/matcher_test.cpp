#include "faultline/shim/matcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace faultline::shim {
namespace {

constexpr auto kEgress = abi::Direction::kEgress;
constexpr auto kIngress = abi::Direction::kIngress;

SocketInfo inet_socket(abi::Proto proto, const char* peer_v4, std::uint16_t peer_port,
                       std::uint16_t local_port) {
  SocketInfo s;
  s.proto = static_cast<std::uint8_t>(proto);
  s.datagram = proto == abi::Proto::kUdp ? 1 : 0;
  s.local_port = local_port;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(peer_port);
  inet_pton(AF_INET, peer_v4, &a.sin_addr);
  EXPECT_TRUE(set_peer(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  return s;
}

SocketInfo v6_socket(const char* peer_v6, std::uint16_t peer_port) {
  SocketInfo s;
  s.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(peer_port);
  inet_pton(AF_INET6, peer_v6, &a.sin6_addr);
  EXPECT_TRUE(set_peer(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  return s;
}

abi::Match cidr_v4(const char* addr, std::uint8_t prefix, std::uint16_t port = 0) {
  abi::Match m{};
  m.family = 4;
  m.prefix_len = prefix;
  m.dst_port = port;
  inet_pton(AF_INET, addr, m.addr);
  return m;
}

abi::Match cidr_v6(const char* addr, std::uint8_t prefix) {
  abi::Match m{};
  m.family = 6;
  m.prefix_len = prefix;
  inet_pton(AF_INET6, addr, m.addr);
  return m;
}

TEST(Matcher, ShouldMatchTcpUdpAndUnixWhenMatchIsEmpty) {
  const CompiledMatch any = compile_match(abi::Match{});
  SocketInfo unix_socket;
  unix_socket.proto = static_cast<std::uint8_t>(abi::Proto::kUnix);
  EXPECT_TRUE(matches(any, kEgress, inet_socket(abi::Proto::kTcp, "10.0.0.1", 80, 5000)));
  EXPECT_TRUE(matches(any, kIngress, inet_socket(abi::Proto::kUdp, "10.0.0.1", 53, 5000)));
  EXPECT_TRUE(matches(any, kEgress, unix_socket));
}

TEST(Matcher, ShouldNeverMatchSocketsOfOtherFamilies) {
  SocketInfo netlink;  // proto kAny: neither inet nor unix
  EXPECT_FALSE(matches(compile_match(abi::Match{}), kEgress, netlink));
}

TEST(Matcher, ShouldMatchPeerInsideIpv4Cidr) {
  const CompiledMatch m = compile_match(cidr_v4("10.1.0.0", 16));
  EXPECT_TRUE(matches(m, kEgress, inet_socket(abi::Proto::kTcp, "10.1.200.7", 80, 1)));
  EXPECT_TRUE(matches(m, kEgress, inet_socket(abi::Proto::kTcp, "10.1.0.0", 80, 1)));
  EXPECT_FALSE(matches(m, kEgress, inet_socket(abi::Proto::kTcp, "10.2.0.1", 80, 1)));
  EXPECT_FALSE(matches(m, kEgress, inet_socket(abi::Proto::kTcp, "11.1.0.1", 80, 1)));
}

TEST(Matcher, ShouldIgnoreHostBitsOfTheMatchAddress) {
  const CompiledMatch m = compile_match(cidr_v4("192.168.7.99", 24));
  EXPECT_TRUE(matches(m, kEgress, inet_socket(abi::Proto::kUdp, "192.168.7.1", 9, 1)));
  EXPECT_FALSE(matches(m, kEgress, inet_socket(abi::Proto::kUdp, "192.168.8.1", 9, 1)));
}

TEST(Matcher, ShouldMatchSingleHostWithFullPrefix) {
  const CompiledMatch m = compile_match(cidr_v4("127.0.0.1", 32));
  EXPECT_TRUE(matches(m, kEgress, inet_socket(abi::Proto::kUdp, "127.0.0.1", 9, 1)));
  EXPECT_FALSE(matches(m, kEgress, inet_socket(abi::Proto::kUdp, "127.0.0.2", 9, 1)));
}

TEST(Matcher, ShouldMatchIpv6PrefixBitByBit) {
  const CompiledMatch m = compile_match(cidr_v6("2001:db8:abcd:fff0::", 60));
  EXPECT_TRUE(matches(m, kEgress, v6_socket("2001:db8:abcd:fff7::1", 443)));
  EXPECT_FALSE(matches(m, kEgress, v6_socket("2001:db8:abcd:ffe0::1", 443)));
  EXPECT_FALSE(matches(m, kEgress, inet_socket(abi::Proto::kTcp, "10.0.0.1", 443, 1)));
}

TEST(Matcher, ShouldSeeIpv4MappedPeerAsIpv4) {
  const SocketInfo s = v6_socket("::ffff:10.9.8.7", 8080);
  EXPECT_EQ(s.family, 4);
  EXPECT_TRUE(matches(compile_match(cidr_v4("10.9.0.0", 16, 8080)), kEgress, s));
}

TEST(Matcher, ShouldMatchDstPortAgainstThePeerPort) {
  abi::Match m{};
  m.dst_port = 9000;
  const CompiledMatch c = compile_match(m);
  EXPECT_TRUE(matches(c, kEgress, inet_socket(abi::Proto::kUdp, "127.0.0.1", 9000, 40000)));
  EXPECT_FALSE(matches(c, kEgress, inet_socket(abi::Proto::kUdp, "127.0.0.1", 9001, 9000)));
}

TEST(Matcher, ShouldMatchSrcPortAgainstTheLocalPort) {
  abi::Match m{};
  m.src_port = 5555;
  const CompiledMatch c = compile_match(m);
  EXPECT_TRUE(matches(c, kIngress, inet_socket(abi::Proto::kTcp, "127.0.0.1", 80, 5555)));
  EXPECT_FALSE(matches(c, kIngress, inet_socket(abi::Proto::kTcp, "127.0.0.1", 5555, 80)));
}

TEST(Matcher, ShouldMatchOnlyTheGivenDirection) {
  abi::Match m{};
  m.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  const CompiledMatch c = compile_match(m);
  const SocketInfo s = inet_socket(abi::Proto::kTcp, "127.0.0.1", 80, 1);
  EXPECT_TRUE(matches(c, kIngress, s));
  EXPECT_FALSE(matches(c, kEgress, s));
}

TEST(Matcher, ShouldMatchOnlyTheGivenProtocol) {
  abi::Match m{};
  m.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  const CompiledMatch c = compile_match(m);
  EXPECT_TRUE(matches(c, kEgress, inet_socket(abi::Proto::kUdp, "127.0.0.1", 80, 1)));
  EXPECT_FALSE(matches(c, kEgress, inet_socket(abi::Proto::kTcp, "127.0.0.1", 80, 1)));
}

TEST(Matcher, ShouldNotMatchAddressOrPortWhenSocketHasNoPeer) {
  SocketInfo unconnected;
  unconnected.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  abi::Match port{};
  port.dst_port = 53;
  EXPECT_FALSE(matches(compile_match(cidr_v4("0.0.0.0", 0)), kEgress, unconnected));
  EXPECT_FALSE(matches(compile_match(port), kEgress, unconnected));
}

TEST(Matcher, ShouldRejectNonInetPeerAddress) {
  SocketInfo s;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  EXPECT_FALSE(set_peer(s, reinterpret_cast<sockaddr*>(&a), 4));  // too short
  sockaddr un{};
  un.sa_family = AF_UNIX;
  EXPECT_FALSE(set_peer(s, &un, sizeof un));
  EXPECT_EQ(s.has_peer, 0);
}

}  // namespace
}  // namespace faultline::shim
