// An idle preload (nothing armed, no telemetry) changes nothing a program
// can observe: bytes, errno, exit; and its segment comes and goes with it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"
#include "integration_support.h"

namespace faultline::integration {
namespace {

TEST(IdlePreload, ShouldEchoIdenticalBytesOverUdp) {
  for (const char* api : {"recvfrom", "recvmsg"}) {
    EchoServer server = start_echo("udp_echo", {"--api", api});
    const Pings p = udp_ping(server.port, 50, {"--size", "1200"}, testing::SpawnOptions());
    EXPECT_EQ(p.received, 50u) << api;
    EXPECT_EQ(p.mismatches, 0u) << api;
    EXPECT_TRUE(testing::exited_with(p.status, 0));
    EXPECT_EQ(server.stop_and_count(), 50u);
  }
}

TEST(IdlePreload, ShouldEchoIdenticalBytesOverTcp) {
  for (const char* api : {"read", "recv", "readv"}) {
    EchoServer server = start_echo("tcp_echo", {"--api", api});
    const Pings p = tcp_ping(server.port, 50, {"--size", "3000"}, testing::SpawnOptions());
    EXPECT_EQ(p.received, 50u) << api;
    EXPECT_EQ(p.mismatches, 0u) << api;
    EXPECT_EQ(server.stop_and_count(), 50u * 3000u) << api;
  }
}

TEST(IdlePreload, ShouldLeaveErrnoAsLibcSetsIt) {
  const testing::RunResult r = testing::run({testing::helper_path("errno_probe")}, 10s);
  EXPECT_TRUE(testing::exited_with(r.status, 0)) << r.output;
  EXPECT_EQ(r.output.rfind("ok ", 0), 0u) << r.output;
}

TEST(IdlePreload, ShouldRecordNoTelemetryUnlessAskedTo) {
  EchoServer server = start_echo("udp_echo");
  udp_ping(server.port, 10);
  EXPECT_FALSE(server.client->telemetry().enabled);
  EXPECT_EQ(calls(*server.client, abi::CallClass::kUdpRecv), 0u);
  EXPECT_EQ(calls(*server.client, abi::CallClass::kUdpSend), 0u);
}

TEST(IdlePreload, ShouldPublishProgramNameAndLabels) {
  EchoServer server =
      start_echo("udp_echo", {}, testing::SpawnOptions().with_env("FAULTLINE_LABELS=app=echo,zone=a"));
  EXPECT_STREQ(server.client->header().program, "udp_echo");
  EXPECT_STREQ(server.client->header().labels, "app=echo,zone=a");
  EXPECT_EQ(server.client->header().pid, server.process.pid());
  // The apply thread reports itself alive a moment after the segment appears.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!server.client->alive() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  EXPECT_TRUE(server.client->alive());
}

TEST(IdlePreload, ShouldRemoveItsSegmentAtExit) {
  EchoServer server = start_echo("udp_echo");
  const pid_t pid = server.process.pid();
  ASSERT_TRUE(testing::segment_exists(pid));
  server.stop_and_count();
  EXPECT_FALSE(testing::segment_exists(pid));
}

TEST(IdlePreload, ShouldStayPurePassThroughWhenDisabled) {
  testing::Process server = testing::Process::spawn({testing::helper_path("udp_echo")},
                                                    testing::SpawnOptions().with_env("FAULTLINE_DISABLE=1"));
  const auto port = server.read_line(10s);
  ASSERT_TRUE(port.has_value());
  // The port was printed, so the preload's constructor has run.
  EXPECT_FALSE(testing::segment_exists(server.pid()));
  const Pings p = udp_ping(static_cast<std::uint16_t>(std::stoul(*port)), 10);
  EXPECT_EQ(p.received, 10u);
  server.kill_and_reap(SIGTERM);
  EXPECT_EQ(server.read_rest(2s), "received 10\n");
}

}  // namespace
}  // namespace faultline::integration
