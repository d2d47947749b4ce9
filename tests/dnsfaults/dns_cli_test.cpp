// `faultline inject ... dns` and `... stall` through the real CLI against a
// live target: the commands parse, arm and clear, and the target shows the
// effect.
#include <gtest/gtest.h>
#include <netdb.h>

#include <string>

#include "cli_runner.h"
#include "lookup_probe.h"

namespace faultline::dnstest {
namespace {

using clitest::CliResult;
using clitest::run_cli;

TEST(DnsCli, ShouldHoldThreadsEnteringSocketCallsUnderStall) {
  LookupProbe p = LookupProbe::start();
  const std::string pid = std::to_string(p.pid());
  const CliResult inject =
      run_cli({"inject", "-p", pid, "stall", "--delay", "150ms", "--for", "30s", "--id", "cli-stall"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  EXPECT_NE(inject.out.find("injected cli-stall (stall 150ms) into 1 target"), std::string::npos)
      << inject.out;
  EXPECT_GE(p.send_ns(), 150 * kMs);
  const CliResult clear = run_cli({"clear", "-p", pid});
  ASSERT_EQ(clear.code(), 0) << clear.err;
  EXPECT_LT(p.send_ns(), 150 * kMs);
}

TEST(DnsCli, ShouldFailMatchingLookupsInjectedThroughTheCliUntilCleared) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  ASSERT_EQ(p.resolve("localhost").rc, 0);
  const std::string pid = std::to_string(p.pid());
  const CliResult inject =
      run_cli({"inject", "-p", pid, "dns", "--host", "LOCAL*", "--fail", "--id", "cli-dns"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  EXPECT_NE(inject.out.find("injected cli-dns (dns LOCAL* fail"), std::string::npos) << inject.out;
  EXPECT_EQ(p.resolve("localhost").rc, EAI_AGAIN);
  ASSERT_EQ(run_cli({"clear", "-p", pid}).code(), 0);
  EXPECT_EQ(p.resolve("localhost").rc, 0);
}

TEST(DnsCli, ShouldSlowMatchingLookupsByTheDelayGivenToTheCli) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  ASSERT_EQ(p.resolve("localhost").rc, 0);
  const std::string pid = std::to_string(p.pid());
  const CliResult inject = run_cli({"inject", "-p", pid, "dns", "--host", "localhost", "--delay", "120ms"});
  ASSERT_EQ(inject.code(), 0) << inject.err;
  const Lookup l = p.resolve("localhost");
  EXPECT_EQ(l.rc, 0);
  EXPECT_GE(l.ns, 120 * kMs);
}

}  // namespace
}  // namespace faultline::dnstest
