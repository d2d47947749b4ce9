// dns faults in a real process under the preload: getaddrinfo of names from
// the probe's own /etc/hosts (resolved offline, never over the network)
// fails or slows when a fault's --host glob selects the name, and only
// then. Delays are checked from below only: an injected delay can make a
// lookup longer, never shorter.
#include <gtest/gtest.h>
#include <netdb.h>

#include "lookup_probe.h"

namespace faultline::dnstest {
namespace {

TEST(DnsFault, ShouldFailGetaddrinfoWithEaiAgainForMatchingHost) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  ASSERT_EQ(p.resolve(kFeedHost).rc, 0);  // resolvable until the fault
  inject(p.client(), dns_fault("dns-fail", "F??D.*.TEST", 0, true));
  const Lookup l = p.resolve(kFeedHost);
  EXPECT_EQ(l.rc, EAI_AGAIN);
  EXPECT_EQ(l.err, 4242);                                      // an injected failure leaves errno alone
  EXPECT_EQ(p.resolve("FEED.FAULTLINE.TEST.").rc, EAI_AGAIN);  // DNS names ignore case and the root dot
  EXPECT_EQ(hits_of(p.client(), "dns-fail"), 2u);
}

TEST(DnsFault, ShouldSlowGetaddrinfoByTheDelay) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  constexpr std::int64_t kDelay = 150 * kMs;
  inject(p.client(), dns_fault("dns-slow", "*", kDelay, false));
  for (const char* name : {kFeedHost, "localhost"}) {
    const Lookup l = p.resolve(name);
    EXPECT_EQ(l.rc, 0) << name;  // slowed, not failed
    EXPECT_GE(l.ns, kDelay) << name;
  }
  EXPECT_EQ(hits_of(p.client(), "dns-slow"), 2u);
}

TEST(DnsFault, ShouldLeaveOtherHostsUntouched) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  inject(p.client(), dns_fault("dns-feed", kFeedHost, 0, true));
  inject(p.client(), dns_fault("dns-sub", "*.example.com", 0, true));
  EXPECT_EQ(p.resolve("localhost").rc, 0);
  EXPECT_EQ(p.resolve(kOrdersHost).rc, 0);
  EXPECT_EQ(p.resolve("127.0.0.1").rc, 0);
  EXPECT_EQ(matched_of(p.client(), "dns-feed"), 0u);
  EXPECT_EQ(matched_of(p.client(), "dns-sub"), 0u);
  EXPECT_EQ(p.resolve(kFeedHost).rc, EAI_AGAIN);
  EXPECT_EQ(hits_of(p.client(), "dns-feed"), 1u);
}

TEST(DnsFault, ShouldLeaveNumericAddressesUntouchedEvenByAStarGlob) {
  LookupProbe p = LookupProbe::start();
  inject(p.client(), dns_fault("dns-all", "*", 0, true));
  EXPECT_EQ(p.resolve("127.0.0.1").rc, 0);  // not a name: getaddrinfo asks no resolver
  EXPECT_EQ(p.resolve("127.1").rc, 0);
  EXPECT_EQ(matched_of(p.client(), "dns-all"), 0u);
  EXPECT_EQ(p.resolve("localhost").rc, EAI_AGAIN);
}

TEST(DnsFault, ShouldLeaveNumericHostLookupsToGetaddrinfo) {
  LookupProbe p = LookupProbe::start();
  const int unfaulted = p.resolve_numeric("localhost").rc;  // EAI_NONAME: AI_NUMERICHOST forbids a lookup
  inject(p.client(), dns_fault("dns-numeric", "*", 0, true));
  EXPECT_EQ(p.resolve_numeric("localhost").rc, unfaulted);
  EXPECT_EQ(p.resolve_numeric("127.0.0.1").rc, 0);
  EXPECT_EQ(matched_of(p.client(), "dns-numeric"), 0u);
}

TEST(DnsFault, ShouldStopAfterClear) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  inject(p.client(), dns_fault("dns-clear", "localhost", 0, true));
  EXPECT_EQ(p.resolve("localhost").rc, EAI_AGAIN);
  clear(p.client(), "dns-clear");
  EXPECT_EQ(p.resolve("localhost").rc, 0);
}

TEST(DnsFault, ShouldFailOnlyMaxHitsLookups) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  abi::FaultSpec f = dns_fault("dns-twice", "localhost", 0, true);
  f.max_hits = 2;
  inject(p.client(), f);
  EXPECT_EQ(p.resolve("localhost").rc, EAI_AGAIN);
  EXPECT_EQ(p.resolve("localhost").rc, EAI_AGAIN);
  EXPECT_EQ(p.resolve("localhost").rc, 0);
}

TEST(DnsFault, ShouldFailAboutPctOfLookups) {
  if (const std::string why = LookupProbe::cannot_own_hosts(); !why.empty()) GTEST_SKIP() << why;
  LookupProbe p = LookupProbe::start();
  abi::FaultSpec f = dns_fault("dns-half", "localhost", 0, true);
  f.pct_ppm = 500'000;
  inject(p.client(), f);
  constexpr int kLookups = 400;
  int failed = 0;
  for (int i = 0; i < kLookups; ++i) failed += p.resolve("localhost").rc == EAI_AGAIN ? 1 : 0;
  // Binomial(400, 0.5): sd 10; five sd either side.
  EXPECT_NEAR(failed, kLookups / 2, 50);
  EXPECT_EQ(hits_of(p.client(), "dns-half"), static_cast<std::uint64_t>(failed));
  EXPECT_EQ(matched_of(p.client(), "dns-half"), static_cast<std::uint64_t>(kLookups));
}

TEST(DnsFault, ShouldRecordLookupsInTheDnsTelemetryClass) {
  LookupProbe p = LookupProbe::start("FAULTLINE_TELEMETRY=1");
  inject(p.client(), dns_fault("dns-tel", "localhost", 0, true));
  p.resolve("localhost");
  p.resolve("127.0.0.1");
  const cp::ClassStats dns =
      p.client().telemetry().classes.at(static_cast<std::size_t>(abi::CallClass::kDns));
  EXPECT_EQ(dns.calls, 2u);
  EXPECT_EQ(dns.faulted, 1u);
  EXPECT_EQ(dns.errors, 1u);
}

TEST(DnsFault, ShouldPassLookupsThroughWithTelemetryOnlyAndNothingArmed) {
  LookupProbe p = LookupProbe::start("FAULTLINE_TELEMETRY=1");
  EXPECT_EQ(p.resolve("localhost").rc, 0);
  EXPECT_EQ(p.client().telemetry().classes.at(static_cast<std::size_t>(abi::CallClass::kDns)).calls, 1u);
}

}  // namespace
}  // namespace faultline::dnstest
