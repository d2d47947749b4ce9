// Bad input gets one line on stderr and a non-zero exit, and leaves nothing
// armed in any target.
#include <cstring>

#include "cli_fixture.h"
#include "faultline/controlplane/abi.h"

namespace faultline::clitest {
namespace {

using BadInput = CliTest;

TEST_F(BadInput, ShouldRejectValueErrorsWithOneLineAndArmNothing) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string line;  // expected stderr line, or a part of it
  };
  const Case cases[] = {
      {{"inject", "-l", label, "latncy"},
       1,
       "faultline: unknown fault 'latncy': expected one of latency, loss, reset, blackhole, refuse, "
       "bandwidth, "
       "slice, corrupt, duplicate, reorder, errno, dns, stall, pq-sever, pq-slow, pq-error, pq-refuse"},
      {{"inject", "-l", label, "latency", "--delay", "abc"},
       1,
       "faultline: invalid duration 'abc' for --delay: expected a number with a unit (ns, us, ms, s, m, h), "
       "e.g. "
       "200ms"},
      {{"inject", "-l", label, "latency"}, 1, "faultline: latency needs --delay"},
      {{"inject", "-l", label, "latency", "--delay", "1ms", "--rate", "1MB/s"},
       1,
       "faultline: --rate does not apply to latency"},
      {{"inject", "-l", label, "loss", "--pct", "150"}, 1, "faultline: invalid percentage '150' for --pct"},
      {{"inject", "-l", label, "latency", "--delay", "1ms", "--dst", "10.0.0.1/8"},
       1,
       "faultline: invalid address '10.0.0.1/8' for --dst"},
      {{"inject", "-l", label, "latency", "--delay", "1ms", "--bogus"},
       2,
       "faultline: the following argument was not expected: --bogus"},
      {{"inject", "latency", "--delay", "1ms"}, 2, "faultline: inject needs targets"},
      {{"clear", "-l", label, "--id", "lat-none"}, 1, "faultline: no fault 'lat-none' armed in -l " + label},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0] + " ... " + c.args.back());
    const CliResult r = run_cli(c.args);
    EXPECT_TRUE(fails_with_one_line(r, c.code));
    EXPECT_EQ(failure_line(r).rfind(c.line, 0), 0u) << r.err;
    EXPECT_TRUE(echo.client->faults().empty());
  }
}

TEST_F(BadInput, ShouldNameTheRunningTargetsWhenNoneMatches) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  const std::string missing = unique_label();
  const CliResult r = run_cli({"inject", "-l", missing, "latency", "--delay", "1ms"});
  ASSERT_TRUE(fails_with_one_line(r, 1));
  EXPECT_EQ(failure_line(r).rfind("faultline: no faultline target matches -l " + missing + " (", 0), 0u)
      << r.err;
  // The message lists up to 8 running targets; ours is among them unless
  // other suites run more beside this one.
  const std::string line = failure_line(r);
  const std::size_t count_at = line.find(" (") + 2;
  const int running = std::stoi(line.substr(count_at));
  EXPECT_GE(running, 1) << line;
  if (running <= 8) {
    EXPECT_NE(line.find(std::to_string(echo.pid()) + " udp_echo [" + label + "]"), std::string::npos) << line;
  }
  EXPECT_TRUE(echo.client->faults().empty());
}

TEST_F(BadInput, ShouldFailOnAPidThatIsNotATarget) {
  const CliResult r = run_cli({"inject", "-p", std::to_string(getpid()), "latency", "--delay", "1ms"});
  ASSERT_TRUE(fails_with_one_line(r, 1));
  EXPECT_EQ(failure_line(r).rfind("faultline: no faultline target with pid " + std::to_string(getpid()), 0),
            0u)
      << r.err;
}

TEST_F(BadInput, ShouldTakeTheFaultBackFromEveryTargetWhenOneRejectsIt) {
  const std::string shared = unique_label();
  LaunchedEcho full = launch_echo({"-l", shared});
  LaunchedEcho empty = launch_echo({"-l", shared});
  // Fill the first target's fault table; the faults match nothing it does.
  for (std::uint32_t i = 0; i < abi::kMaxFaults; ++i) {
    const CliResult r = run_cli({"inject", "-p", std::to_string(full.pid()), "latency", "--delay", "1ms",
                                 "--dst", "192.0.2.1", "--id", "fill-" + std::to_string(i)});
    ASSERT_EQ(r.code(), 0) << r.err;
  }
  const CliResult r = run_cli({"inject", "-l", shared, "latency", "--delay", "1ms", "--id", "lat-roll"});
  ASSERT_TRUE(fails_with_one_line(r, 1));
  EXPECT_NE(r.err.find(std::to_string(full.pid()) + " udp_echo rejected lat-roll: fault table full"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("cleared it again from " + std::to_string(empty.pid()) + " udp_echo"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(empty.client->faults().empty());
  const std::vector<std::string> ids = fault_ids(*full.client);
  EXPECT_EQ(ids.size(), abi::kMaxFaults);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "lat-roll"), 0);
}

TEST_F(BadInput, ShouldRejectAForLongerThanTheTargetAllows) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label}, {"FAULTLINE_MAX_FOR=2s"});  // read at start-up
  const CliResult r =
      run_cli({"inject", "-l", label, "latency", "--delay", "1ms", "--for", "10s", "--id", "lat-long"});
  ASSERT_TRUE(fails_with_one_line(r, 1));
  EXPECT_NE(r.err.find("rejected lat-long: --for 10.000s is longer than this target allows: at most 2.000s "
                       "(FAULTLINE_MAX_FOR)"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(echo.client->faults().empty());
  EXPECT_EQ(run_cli({"inject", "-l", label, "latency", "--delay", "1ms", "--for", "2s"}).code(), 0);
}

TEST_F(BadInput, ShouldRefuseASegmentOfAnotherAbiVersionWithAClearMessage) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  auto& version = const_cast<abi::Header&>(echo.client->header()).abi_version;
  version.store(abi::kAbiVersion + 7, std::memory_order_release);
  const std::string pid = std::to_string(echo.pid());

  const CliResult r = run_cli({"inject", "-p", pid, "latency", "--delay", "1ms"});
  EXPECT_TRUE(fails_with_one_line(r, 1));
  EXPECT_EQ(failure_line(r).rfind("faultline: target " + pid + " refused: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("ABI version " + std::to_string(abi::kAbiVersion + 7) + ", this faultline speaks " +
                       std::to_string(abi::kAbiVersion)),
            std::string::npos)
      << r.err;

  const CliResult ps = run_cli({"ps"});
  EXPECT_EQ(ps.code(), 0);
  EXPECT_NE(ps.err.find("faultline: note: skipping pid " + pid + ": "), std::string::npos) << ps.err;
  version.store(abi::kAbiVersion, std::memory_order_release);
  EXPECT_TRUE(echo.client->faults().empty());
}

TEST_F(BadInput, ShouldReportAProgramLaunchCannotRun) {
  const CliResult r = run_cli({"launch", "--", "/nonexistent/faultline-test-program"});
  EXPECT_TRUE(fails_with_one_line(r, 127));
  EXPECT_EQ(failure_line(r).rfind("faultline: cannot run '/nonexistent/faultline-test-program': ", 0), 0u)
      << r.err;
}

TEST_F(BadInput, ShouldNameAnUnknownCommand) {
  const CliResult r = run_cli({"injekt"});
  EXPECT_TRUE(fails_with_one_line(r, 2));
  // The list grows with the CLI; what is pinned is the input named and the
  // commands offered in their table order.
  EXPECT_EQ(failure_line(r).rfind(
                "faultline: unknown command 'injekt': expected one of launch, ps, inject, clear", 0),
            0u)
      << r.err;
}

}  // namespace
}  // namespace faultline::clitest
