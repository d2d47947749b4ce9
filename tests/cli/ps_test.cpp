// ps shows what launch published and what inject armed.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cli_fixture.h"
#include "faultline/testing/segment_gc_lock.h"

namespace faultline::clitest {
namespace {

using Ps = CliTest;

const nlohmann::json* find_target(const nlohmann::json& ps, pid_t pid) {
  for (const auto& t : ps.at("targets"))
    if (t.at("pid").get<pid_t>() == pid) return &t;
  return nullptr;
}

TEST_F(Ps, ShouldListNameLabelsAndArmedFaultsAsTextAndJson) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label, "-l", "zone=a", "--name", "md-cli"});
  const CliResult inject = run_cli({"inject", "-l", label, "latency", "--delay", "5ms", "--jitter", "1ms",
                                    "--correlation", "50", "--dst", "192.0.2.1", "--id", "lat-ps"});
  ASSERT_EQ(inject.code(), 0) << inject.err;

  const CliResult json = run_cli({"ps", "--json"});
  ASSERT_EQ(json.code(), 0) << json.err;
  const nlohmann::json ps = nlohmann::json::parse(json.out);
  const nlohmann::json* t = find_target(ps, echo.pid());
  ASSERT_NE(t, nullptr) << json.out;
  EXPECT_EQ(t->at("program"), "md-cli");
  const std::string value = label.substr(label.find('=') + 1);
  EXPECT_EQ(t->at("labels"), (nlohmann::json{{"clitest", value}, {"zone", "a"}}));
  ASSERT_EQ(t->at("faults").size(), 1u);
  const nlohmann::json& f = t->at("faults")[0];
  EXPECT_EQ(f.at("id"), "lat-ps");
  EXPECT_EQ(f.at("kind"), "latency");
  EXPECT_EQ(f.at("description"), "latency 5ms\u00b11ms, 50% correlated");
  EXPECT_EQ(f.at("match"), "dst 192.0.2.1");
  EXPECT_GT(f.at("expires_in_ns").get<std::int64_t>(), 0);
  EXPECT_LE(f.at("expires_in_ns").get<std::int64_t>(), 60'000 * kMs);

  const CliResult text = run_cli({"ps"});
  ASSERT_EQ(text.code(), 0) << text.err;
  EXPECT_NE(text.out.find(std::to_string(echo.pid()) + " "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("md-cli"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(label + ",zone=a"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("lat-ps  latency 5ms\u00b11ms, 50% correlated  [dst 192.0.2.1]  expires in "),
            std::string::npos)
      << text.out;
}

TEST_F(Ps, ShouldSelectByProgramNameAndLabelsTogether) {
  const std::string label = unique_label();
  LaunchedEcho named = launch_echo({"-l", label, "--name", "md-cli"});
  LaunchedEcho other = launch_echo({"-l", label});
  const CliResult inject =
      run_cli({"inject", "-n", "md-cli", "-l", label, "latency", "--delay", "1ms", "--dst", "192.0.2.1"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  EXPECT_NE(inject.out.find("into 1 target: " + std::to_string(named.pid()) + " md-cli;"), std::string::npos)
      << inject.out;
  EXPECT_EQ(named.client->faults().size(), 1u);
  EXPECT_TRUE(other.client->faults().empty());
}

TEST_F(Ps, ShouldRemoveTheSegmentOfAKilledTargetWithGc) {
  const testing::SegmentGcLock gc_lock;
  LaunchedEcho echo = launch_echo({"-l", unique_label()});
  const std::string path = "/dev/shm/faultline." + std::to_string(echo.pid());
  echo.process.kill_and_reap(SIGKILL);  // no chance to unlink its segment
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);

  const CliResult gc = run_cli({"ps", "--gc", "--json"});
  ASSERT_EQ(gc.code(), 0) << gc.err;
  // Another test's `ps --gc` running at the same time may have removed it
  // first, so the count can be 0; the segment must be gone either way.
  EXPECT_GE(nlohmann::json::parse(gc.out).at("gc_removed").get<int>(), 0);
  EXPECT_NE(stat(path.c_str(), &st), 0);
}

}  // namespace
}  // namespace faultline::clitest
