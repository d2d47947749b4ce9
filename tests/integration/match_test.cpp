// Match options select the calls a fault acts on: --dst CIDR:PORT against
// the peer, --proto, --dir. Checked on the fault's own counters: `matched`
// counts calls the match selected, `hits` those the fault changed.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "faultline/testing/targets.h"
#include "integration_support.h"

namespace faultline::integration {
namespace {

abi::FaultSpec to_peer(abi::FaultSpec f, const char* addr, std::uint8_t prefix, std::uint16_t port) {
  f.match.family = 4;
  f.match.prefix_len = prefix;
  f.match.dst_port = port;
  inet_pton(AF_INET, addr, f.match.addr);
  return f;
}

TEST(Match, ShouldApplyToTheMatchingDestinationOnly) {
  EchoServer server = start_echo("udp_echo");
  const std::uint16_t client_port = testing::free_loopback_port(SOCK_DGRAM);
  // The server's peer is the pinger, bound to client_port.
  inject(*server.client, to_peer(latency_fault("to-client", 1 * kMs), "127.0.0.1", 32, client_port));
  inject(*server.client, to_peer(latency_fault("other-port", 1 * kMs), "127.0.0.1", 32, client_port + 1));
  inject(*server.client, to_peer(latency_fault("other-net", 1 * kMs), "10.0.0.0", 8, 0));
  const Pings p = udp_ping(server.port, 5, {"--bind-port", std::to_string(client_port)});
  EXPECT_EQ(p.received, 5u);
  EXPECT_EQ(fault_view(*server.client, "to-client")->hits, 10u);  // 5 receives, 5 replies
  for (const char* id : {"other-port", "other-net"}) {
    EXPECT_EQ(fault_view(*server.client, id)->matched, 0u) << id;
    EXPECT_EQ(fault_view(*server.client, id)->hits, 0u) << id;
  }
}

TEST(Match, ShouldLeaveTrafficAloneWhenTheProtocolDiffers) {
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec tcp_only = loss_fault("tcp-only", 1'000'000);
  tcp_only.match.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  inject(*server.client, tcp_only);
  abi::FaultSpec udp = latency_fault("udp-only", 1 * kMs);
  udp.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  inject(*server.client, udp);
  const Pings p = udp_ping(server.port, 5);
  EXPECT_EQ(p.received, 5u);  // the 100% loss on TCP did not touch UDP
  EXPECT_EQ(fault_view(*server.client, "tcp-only")->matched, 0u);
  EXPECT_EQ(fault_view(*server.client, "udp-only")->hits, 10u);
}

TEST(Match, ShouldApplyOnlyInTheMatchingDirection) {
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec in = latency_fault("in", 1 * kMs);
  in.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  abi::FaultSpec out = latency_fault("out", 1 * kMs);
  out.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  inject(*server.client, in);
  inject(*server.client, out);
  inject(*server.client, latency_fault("both", 1 * kMs));
  udp_ping(server.port, 5);
  EXPECT_EQ(fault_view(*server.client, "in")->matched, 5u);
  EXPECT_EQ(fault_view(*server.client, "out")->matched, 5u);
  EXPECT_EQ(fault_view(*server.client, "both")->matched, 10u);
}

TEST(Match, ShouldSelectTheLocalPortWithSrcPort) {
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec mine = latency_fault("mine", 1 * kMs);
  mine.match.src_port = server.port;
  abi::FaultSpec other = latency_fault("other", 1 * kMs);
  other.match.src_port = static_cast<std::uint16_t>(server.port + 1);
  inject(*server.client, mine);
  inject(*server.client, other);
  udp_ping(server.port, 3);
  EXPECT_EQ(fault_view(*server.client, "mine")->hits, 6u);
  EXPECT_EQ(fault_view(*server.client, "other")->matched, 0u);
}

}  // namespace
}  // namespace faultline::integration
