// inject --lease holds the fault while the CLI runs and lets it lapse when
// the CLI is gone (a dead man's switch).
#include <signal.h>

#include <thread>

#include "cli_fixture.h"
#include "faultline/testing/process.h"

namespace faultline::clitest {
namespace {

using Lease = CliTest;

testing::Process hold(const std::string& label, const std::string& id, const std::string& ttl = "60s") {
  testing::SpawnOptions options;
  options.preload = false;
  testing::Process p =
      testing::Process::spawn({cli_path(), "inject", "-l", label, "latency", "--delay", "1ms", "--dst",
                               "192.0.2.1", "--lease", "1s", "--for", ttl, "--id", id},
                              options);
  const auto injected = p.read_line(20s);
  const auto holding = p.read_line(20s);
  EXPECT_TRUE(injected && injected->rfind("injected " + id + " ", 0) == 0) << injected.value_or("(nothing)");
  EXPECT_EQ(holding.value_or("(nothing)"), "holding " + id + " on a 1s lease; Ctrl-C clears it");
  return p;
}

TEST_F(Lease, ShouldKeepRenewingTheLeaseAndClearOnInterrupt) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  testing::Process holder = hold(label, "lat-lease");
  std::this_thread::sleep_for(2500ms);  // 2.5 leases: only renewals keep it armed
  EXPECT_EQ(fault_ids(*echo.client), std::vector<std::string>{"lat-lease"});
  EXPECT_FALSE(wait_for_event(*echo.client, abi::EventType::kFaultExpired, "lat-lease", 0ms));

  kill(holder.pid(), SIGINT);
  const auto status = holder.wait(20s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(testing::exited_with(*status, 0));
  EXPECT_EQ(holder.read_rest(5s), "cleared lat-lease from 1 target\n");
  EXPECT_TRUE(echo.client->faults().empty());
  EXPECT_TRUE(wait_for_event(*echo.client, abi::EventType::kFaultCleared, "lat-lease", 1s));
}

TEST_F(Lease, ShouldLetTheFaultLapseWhenTheHolderDies) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  testing::Process holder = hold(label, "lat-orphan");
  holder.kill_and_reap(SIGKILL);
  ASSERT_TRUE(wait_until_no_faults(*echo.client, 20s));
  EXPECT_TRUE(wait_for_event(*echo.client, abi::EventType::kFaultExpired, "lat-orphan", 1s));
}

TEST_F(Lease, ShouldStopHoldingWhenForRunsOut) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  testing::Process holder = hold(label, "lat-ttl-lease", "1500ms");
  const auto status = holder.wait(20s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(testing::exited_with(*status, 0));
  const std::string rest = holder.read_rest(5s);
  EXPECT_TRUE(rest == "lat-ttl-lease expired in 1 target\n" ||
              rest == "cleared lat-ttl-lease from 1 target\n")
      << rest;
  EXPECT_TRUE(echo.client->faults().empty());
}

}  // namespace
}  // namespace faultline::clitest
