// Latency injected into a server's socket calls shows in a client's round
// trips. Only lower bounds are asserted: an injected delay can make a round
// trip longer, never shorter, so these cannot flake on a busy machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"
#include "integration_support.h"

namespace faultline::integration {
namespace {

constexpr std::int64_t kDelay = 20 * kMs;

void expect_every_rtt_at_least(const Pings& p, std::int64_t ns) {
  for (std::int64_t rtt : p.rtts_ns) EXPECT_GE(rtt, ns);
}

TEST(Latency, ShouldDelayEveryUdpRoundTripByTheInjectedLatency) {
  EchoServer server = start_echo("udp_echo");
  abi::FaultSpec f = latency_fault("lat-udp", kDelay);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  inject(*server.client, f);
  const Pings p = udp_ping(server.port, 5);
  ASSERT_EQ(p.received, 5u);
  EXPECT_EQ(p.mismatches, 0u);
  expect_every_rtt_at_least(p, kDelay);
  EXPECT_EQ(fault_view(*server.client, "lat-udp")->hits, 5u);
}

TEST(Latency, ShouldDelayIngressWhenReceivingWithRecvmsg) {
  EchoServer server = start_echo("udp_echo", {"--api", "recvmsg"});
  abi::FaultSpec f = latency_fault("lat-recvmsg", kDelay);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
  inject(*server.client, f);
  const Pings p = udp_ping(server.port, 5);
  ASSERT_EQ(p.received, 5u);
  EXPECT_EQ(p.mismatches, 0u);
  expect_every_rtt_at_least(p, kDelay);
}

TEST(Latency, ShouldDelayBothDirectionsWhenDirIsBoth) {
  EchoServer server = start_echo("udp_echo");
  inject(*server.client, latency_fault("lat-both", kDelay));
  const Pings p = udp_ping(server.port, 3);
  ASSERT_EQ(p.received, 3u);
  expect_every_rtt_at_least(p, 2 * kDelay);
}

TEST(Latency, ShouldDelayEveryTcpRoundTripByTheInjectedLatency) {
  for (const char* api : {"read", "recv", "readv"}) {
    EchoServer server = start_echo("tcp_echo", {"--api", api});
    abi::FaultSpec f = latency_fault("lat-tcp", kDelay);
    f.match.dir = static_cast<std::uint8_t>(abi::Direction::kIngress);
    inject(*server.client, f);
    const Pings p = tcp_ping(server.port, 5, {"--size", "512"});
    ASSERT_EQ(p.received, 5u) << api;
    EXPECT_EQ(p.mismatches, 0u) << api;
    expect_every_rtt_at_least(p, kDelay);
  }
}

TEST(Latency, ShouldDelayTheClientsOwnSendsWhenArmedInTheClient) {
  EchoServer server = start_echo("udp_echo", {}, testing::SpawnOptions().without_preload());
  testing::Process client =
      testing::Process::spawn({testing::helper_path("udp_pinger"), "--port", std::to_string(server.port),
                               "--count", "5", "--api", "send", "--wait-stdin", "--json"},
                              testing::SpawnOptions().with_stdin());
  std::string reason;
  std::optional<cp::Client> target = testing::wait_for_segment(client.pid(), 10s, &reason);
  ASSERT_TRUE(target.has_value()) << reason;
  abi::FaultSpec f = latency_fault("lat-client", kDelay);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  f.match.dst_port = server.port;
  inject(*target, f);
  client.write_stdin("go\n");
  const std::string out = client.read_rest(20s);
  const auto status = client.wait(5s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(testing::exited_with(*status, 0)) << out;
  const nlohmann::json report = nlohmann::json::parse(out);
  for (std::int64_t rtt : report.at("rtts_ns")) EXPECT_GE(rtt, kDelay);
  EXPECT_EQ(fault_view(*target, "lat-client")->hits, 5u);
  EXPECT_EQ(server.stop_and_count(), 5u);
}

TEST(Latency, ShouldRecordInjectedDelaysWhenTelemetryIsOn) {
  EchoServer server = start_echo("udp_echo", {}, testing::SpawnOptions().with_env("FAULTLINE_TELEMETRY=1"));
  abi::FaultSpec f = latency_fault("lat-telemetry", 2 * kMs);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  inject(*server.client, f);
  udp_ping(server.port, 4);
  const cp::TelemetrySnapshot t = server.client->telemetry();
  const cp::ClassStats& injected = t.classes.at(static_cast<std::size_t>(abi::CallClass::kInjectedDelay));
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(injected.calls, 4u);
  EXPECT_GE(injected.sum_ns, static_cast<std::uint64_t>(4 * 2 * kMs));
  const cp::ClassStats& sends = t.classes.at(static_cast<std::size_t>(abi::CallClass::kUdpSend));
  EXPECT_EQ(sends.calls, 4u);
  EXPECT_EQ(sends.faulted, 4u);
  EXPECT_EQ(sends.bytes, 4u * 64u);
}

}  // namespace
}  // namespace faultline::integration
