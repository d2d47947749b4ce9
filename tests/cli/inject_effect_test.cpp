// inject and clear change what a live target does, as its peers see it.
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_fixture.h"

namespace faultline::clitest {
namespace {

using InjectEffect = CliTest;

TEST_F(InjectEffect, ShouldDelayRoundTripsWhileLatencyIsArmedAndNotAfterClear) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  ASSERT_EQ(ping(echo.port, 5).received, 5u);

  const CliResult inject = run_cli(
      {"inject", "-l", label, "latency", "--delay", "100ms", "--dir", "egress", "--id", "lat-effect"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  EXPECT_EQ(inject.out.rfind("injected lat-effect (latency 100ms) into 1 target: " +
                                 std::to_string(echo.pid()) + " udp_echo; applied in ",
                             0),
            0u)
      << inject.out;
  EXPECT_EQ(fault_ids(*echo.client), std::vector<std::string>{"lat-effect"});

  const PingStats during = ping(echo.port, 5);
  EXPECT_EQ(during.received, 5u);
  EXPECT_GE(during.min_ns, 99 * kMs);  // the echo's every reply waits 100ms

  const CliResult clear = run_cli({"clear", "-l", label});
  ASSERT_EQ(clear.code(), 0) << clear.err;
  EXPECT_EQ(clear.out, "cleared lat-effect from 1 target: " + std::to_string(echo.pid()) + " udp_echo\n");
  EXPECT_TRUE(echo.client->faults().empty());
  EXPECT_LT(ping(echo.port, 5).p50_ns, 50 * kMs);
}

TEST_F(InjectEffect, ShouldDropEveryDatagramWithFullLossUntilCleared) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  const CliResult inject =
      run_cli({"inject", "-l", label, "loss", "--pct", "100", "--proto", "udp", "--dir", "egress"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  EXPECT_NE(inject.out.find("(loss 100%, tcp rto 200ms) into 1 target"), std::string::npos) << inject.out;
  EXPECT_EQ(ping(echo.port, 3, 200).received, 0u);

  ASSERT_EQ(run_cli({"clear", "-l", label}).code(), 0);
  EXPECT_EQ(ping(echo.port, 3).received, 3u);
}

TEST_F(InjectEffect, ShouldEndFaultsThroughTheEmergencyPathWhenTheRingIsFull) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  ASSERT_EQ(
      run_cli({"inject", "-l", label, "loss", "--pct", "100", "--proto", "udp", "--id", "loss-all"}).code(),
      0);
  ASSERT_EQ(ping(echo.port, 2, 200).received, 0u);
  ::kill(echo.pid(), SIGSTOP);  // no apply thread runs: the ring fills up
  while (echo.client->submit(cp::make_telemetry(true)) != 0) {
  }
  const CliResult refused = run_cli({"clear", "-l", label});
  EXPECT_NE(refused.code(), 0);  // the ring has no room for the clear
  std::thread resume([pid = echo.pid()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(pid, SIGCONT);
  });
  const CliResult clear = run_cli({"clear", "-l", label, "--emergency"});
  resume.join();
  ASSERT_EQ(clear.code(), 0) << clear.err;
  EXPECT_EQ(clear.out, "cleared loss-all from 1 target: " + std::to_string(echo.pid()) + " udp_echo\n");
  EXPECT_TRUE(echo.client->faults().empty());
  EXPECT_EQ(ping(echo.port, 3).received, 3u);
}

TEST_F(InjectEffect, ShouldArmEveryMatchingTargetAndReportEachInJson) {
  const std::string shared = unique_label();
  LaunchedEcho a = launch_echo({"-l", shared});
  LaunchedEcho b = launch_echo({"-l", shared});
  const CliResult inject =
      run_cli({"inject", "-l", shared, "latency", "--delay", "1ms", "--dst", "192.0.2.1", "--json"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  const nlohmann::json j = nlohmann::json::parse(inject.out);
  const std::string id = j.at("id");
  EXPECT_EQ(id.rfind("lat-", 0), 0u);
  EXPECT_EQ(j.at("kind"), "latency");
  EXPECT_EQ(j.at("for_ns"), 60'000 * kMs);
  ASSERT_EQ(j.at("targets").size(), 2u);
  std::vector<pid_t> pids;
  for (const auto& t : j.at("targets")) pids.push_back(t.at("pid").get<pid_t>());
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<pid_t>{std::min(a.pid(), b.pid()), std::max(a.pid(), b.pid())}));
  EXPECT_EQ(fault_ids(*a.client), std::vector<std::string>{id});
  EXPECT_EQ(fault_ids(*b.client), std::vector<std::string>{id});

  const CliResult clear = run_cli({"clear", "-l", shared, "--id", id});
  ASSERT_EQ(clear.code(), 0) << clear.err;
  EXPECT_EQ(clear.out.rfind("cleared " + id + " from 2 targets: ", 0), 0u) << clear.out;
  EXPECT_TRUE(a.client->faults().empty());
  EXPECT_TRUE(b.client->faults().empty());
}

TEST_F(InjectEffect, ShouldLetTheFaultExpireByItselfAfterFor) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  const CliResult inject = run_cli({"inject", "-l", label, "latency", "--delay", "100ms", "--dir", "egress",
                                    "--for", "300ms", "--id", "lat-ttl"});
  ASSERT_EQ(inject.code(), 0) << inject.err;

  ASSERT_TRUE(wait_until_no_faults(*echo.client, 10s));
  const auto armed = wait_for_event(*echo.client, abi::EventType::kFaultArmed, "lat-ttl", 1s);
  const auto expired = wait_for_event(*echo.client, abi::EventType::kFaultExpired, "lat-ttl", 1s);
  ASSERT_TRUE(armed && expired);
  EXPECT_GE(expired->mono_ns - armed->mono_ns, 300 * kMs);
  EXPECT_FALSE(wait_for_event(*echo.client, abi::EventType::kFaultCleared, "lat-ttl", 0ms));
  EXPECT_LT(ping(echo.port, 5).p50_ns, 50 * kMs);
}

}  // namespace
}  // namespace faultline::clitest
