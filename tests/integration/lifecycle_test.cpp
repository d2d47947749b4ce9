// A fault's life: it ends when cleared, when its time to live runs out, or
// after exactly --max-hits; it starts after --after. Whether it still acts
// is read from the target's own counters (telemetry and fault slots), not
// from timings.
#include <gtest/gtest.h>

#include "integration_support.h"

namespace faultline::integration {
namespace {

std::uint64_t injected(const cp::Client& c) {
  return calls(c, abi::CallClass::kInjectedDelay);
}

EchoServer start_recording_echo() {
  return start_echo("udp_echo", {}, testing::SpawnOptions().with_env("FAULTLINE_TELEMETRY=1"));
}

TEST(Lifecycle, ShouldEndTheFaultWhenCleared) {
  EchoServer server = start_recording_echo();
  inject(*server.client, latency_fault("lat-clear", 10 * kMs));
  const Pings during = udp_ping(server.port, 3);
  for (std::int64_t rtt : during.rtts_ns) EXPECT_GE(rtt, 10 * kMs);
  const std::uint64_t before = injected(*server.client);
  EXPECT_EQ(before, 6u);  // both directions, three round trips
  clear(*server.client, "lat-clear");
  EXPECT_FALSE(fault_view(*server.client, "lat-clear").has_value());
  ASSERT_TRUE(wait_for_event(*server.client, abi::EventType::kFaultCleared, "lat-clear", 1s));
  const Pings after = udp_ping(server.port, 3);
  EXPECT_EQ(after.received, 3u);
  EXPECT_EQ(injected(*server.client), before);
  // Every datagram was still received (the idle receive timeouts carry no bytes).
  EXPECT_EQ(server.client->telemetry().classes.at(static_cast<std::size_t>(abi::CallClass::kUdpRecv)).bytes,
            6u * 64u);
}

TEST(Lifecycle, ShouldExpireByItselfWhenItsTimeToLiveEnds) {
  EchoServer server = start_recording_echo();
  abi::FaultSpec f = latency_fault("lat-ttl", 1 * kMs);
  f.for_ns = 300 * kMs;
  inject(*server.client, f);
  const auto expired = wait_for_event(*server.client, abi::EventType::kFaultExpired, "lat-ttl", 5s);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->detail, "ttl");
  EXPECT_FALSE(fault_view(*server.client, "lat-ttl").has_value());
  const std::uint64_t before = injected(*server.client);
  EXPECT_EQ(udp_ping(server.port, 3).received, 3u);
  EXPECT_EQ(injected(*server.client), before);
}

TEST(Lifecycle, ShouldStopAfterExactlyMaxHits) {
  EchoServer server = start_recording_echo();
  abi::FaultSpec f = latency_fault("lat-hits", 1 * kMs);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  f.max_hits = 3;
  inject(*server.client, f);
  const Pings p = udp_ping(server.port, 10);
  EXPECT_EQ(p.received, 10u);
  EXPECT_EQ(injected(*server.client), 3u);
  const auto expired = wait_for_event(*server.client, abi::EventType::kFaultExpired, "lat-hits", 5s);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->detail, "max-hits");
  EXPECT_EQ(expired->count, 3u);
}

TEST(Lifecycle, ShouldReportArmedAndFirstFireEvents) {
  EchoServer server = start_echo("udp_echo");
  inject(*server.client, latency_fault("lat-events", 1 * kMs));
  EXPECT_TRUE(wait_for_event(*server.client, abi::EventType::kFaultArmed, "lat-events", 1s));
  EXPECT_FALSE(wait_for_event(*server.client, abi::EventType::kFaultFired, "lat-events", 0ms));
  udp_ping(server.port, 2);
  const auto fired = wait_for_event(*server.client, abi::EventType::kFaultFired, "lat-events", 1s);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->count, 1u);
}

TEST(Lifecycle, ShouldStartOnlyAfterTheStartDelay) {
  EchoServer server = start_recording_echo();
  abi::FaultSpec f = latency_fault("lat-after", 1 * kMs);
  f.after_ns = 60'000 * kMs;  // a minute: never within this test
  inject(*server.client, f);
  EXPECT_EQ(udp_ping(server.port, 3).received, 3u);
  EXPECT_EQ(injected(*server.client), 0u);
  EXPECT_EQ(fault_view(*server.client, "lat-after")->matched, 0u);
}

TEST(Lifecycle, ShouldRejectASecondFaultWithTheSameId) {
  EchoServer server = start_echo("udp_echo");
  inject(*server.client, latency_fault("dup", 1 * kMs));
  const cp::AckResult r = server.client->request(cp::make_inject(latency_fault("dup", 2 * kMs)), 5s);
  EXPECT_EQ(r.status, abi::AckStatus::kRejected);
  EXPECT_EQ(r.reason, "fault id 'dup' already armed");
}

TEST(Lifecycle, ShouldTurnTelemetryOnByCommand) {
  EchoServer server = start_echo("udp_echo");
  command(*server.client, cp::make_telemetry(true));
  EXPECT_TRUE(server.client->telemetry().enabled);
  udp_ping(server.port, 4);
  EXPECT_EQ(calls(*server.client, abi::CallClass::kUdpSend), 4u);
  command(*server.client, cp::make_telemetry(false));
  udp_ping(server.port, 4);
  EXPECT_EQ(calls(*server.client, abi::CallClass::kUdpSend), 4u);
}

}  // namespace
}  // namespace faultline::integration
