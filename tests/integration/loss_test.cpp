// Loss: datagrams dropped (ingress: consumed and thrown away before the
// program sees them), streams stalled by the retransmission timeout. Counts
// are checked exactly against the fault's hit counter; the fraction of a
// seeded 50% loss within a binomial tolerance of the sample size.
#include <gtest/gtest.h>

#include <cmath>

#include "integration_support.h"

namespace faultline::integration {
namespace {

abi::FaultSpec ingress(abi::FaultSpec f) {
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  return f;
}

TEST(Loss, ShouldDropEveryDatagramWhenLossIsHundredPercent) {
  EchoServer server = start_echo("udp_echo");
  inject(*server.client, ingress(loss_fault("loss-all", 1'000'000)));
  const Pings p = udp_ping(server.port, 5, {"--timeout-ms", "50"});
  EXPECT_EQ(p.received, 0u);
  EXPECT_EQ(p.timeouts, 5u);
  EXPECT_EQ(fault_view(*server.client, "loss-all")->hits, 5u);
  EXPECT_EQ(server.stop_and_count(), 0u);
}

TEST(Loss, ShouldReportDroppedEgressDatagramsAsSent) {
  // The server's replies vanish; the server itself saw every request.
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec f = loss_fault("loss-egress", 1'000'000);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  inject(*server.client, f);
  const Pings p = udp_ping(server.port, 5, {"--timeout-ms", "50"});
  EXPECT_EQ(p.received, 0u);
  EXPECT_EQ(fault_view(*server.client, "loss-egress")->hits, 5u);
  EXPECT_EQ(server.stop_and_count(), 5u);
}

TEST(Loss, ShouldDropWithoutBlockingOnNonBlockingSocket) {
  EchoServer server = start_echo("udp_echo", {"--nonblocking"});
  inject(*server.client, ingress(loss_fault("loss-nb", 1'000'000)));
  const Pings lost = udp_ping(server.port, 3, {"--timeout-ms", "50"});
  EXPECT_EQ(lost.received, 0u);
  EXPECT_EQ(fault_view(*server.client, "loss-nb")->hits, 3u);
  clear(*server.client, "loss-nb");
  const Pings after = udp_ping(server.port, 3);  // the event loop survived the EAGAINs
  EXPECT_EQ(after.received, 3u);
  EXPECT_EQ(server.stop_and_count(), 3u);
}

TEST(Loss, ShouldDropAboutHalfTheDatagramsWhenLossIsFiftyPercent) {
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec f = ingress(loss_fault("loss-half", 500'000));
  f.seed = 99;
  inject(*server.client, f);
  const int n = 200;
  udp_ping(server.port, n, {"--timeout-ms", "10"});
  const std::uint64_t dropped = fault_view(*server.client, "loss-half")->hits;
  const double sd = std::sqrt(n * 0.5 * 0.5);
  EXPECT_NEAR(static_cast<double>(dropped), n * 0.5, 5 * sd);
  EXPECT_EQ(server.stop_and_count() + dropped, static_cast<std::uint64_t>(n));
}

TEST(Loss, ShouldStallTcpByTheRetransmissionTimeout) {
  EchoServer server = start_echo("tcp_echo");
  abi::FaultSpec f = ingress(loss_fault("loss-tcp", 1'000'000));
  f.rto_ns = 30 * kMs;
  inject(*server.client, f);
  const Pings p = tcp_ping(server.port, 4);
  ASSERT_EQ(p.received, 4u);
  EXPECT_EQ(p.mismatches, 0u);  // a stream loses no bytes
  for (std::int64_t rtt : p.rtts_ns) EXPECT_GE(rtt, 30 * kMs);
  EXPECT_EQ(fault_view(*server.client, "loss-tcp")->hits, 4u);
}

}  // namespace
}  // namespace faultline::integration
