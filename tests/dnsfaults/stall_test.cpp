// stall --delay D in a real process under the preload: a thread entering a
// socket call is held for D while the fault is armed, and not after clear.
#include <gtest/gtest.h>

#include "lookup_probe.h"

namespace faultline::dnstest {
namespace {

constexpr std::int64_t kHold = 200 * kMs;

TEST(Stall, ShouldHoldThreadsEnteringSocketCallsUnderStall) {
  LookupProbe p = LookupProbe::start();
  inject(p.client(), stall_fault("stall", kHold));
  EXPECT_GE(p.send_ns(), kHold);
  EXPECT_GE(p.send_ns(), kHold);
  // Each exchange is a send and a receive, both held.
  EXPECT_EQ(hits_of(p.client(), "stall"), 4u);
  clear(p.client(), "stall");
  EXPECT_LT(p.send_ns(), kHold);
}

TEST(Stall, ShouldHoldOnlyMaxHitsCalls) {
  LookupProbe p = LookupProbe::start();
  abi::FaultSpec f = stall_fault("stall-once", kHold);
  f.max_hits = 1;
  inject(p.client(), f);
  EXPECT_GE(p.send_ns(), kHold);
  EXPECT_LT(p.send_ns(), kHold);
}

TEST(Stall, ShouldRecordTheHoldAsInjectedDelay) {
  LookupProbe p = LookupProbe::start("FAULTLINE_TELEMETRY=1");
  abi::FaultSpec f = stall_fault("stall-tel", 20 * kMs);
  f.max_hits = 1;
  inject(p.client(), f);
  p.send_ns();
  const cp::ClassStats injected =
      p.client().telemetry().classes.at(static_cast<std::size_t>(abi::CallClass::kInjectedDelay));
  EXPECT_EQ(injected.calls, 1u);
  EXPECT_GE(injected.max_ns, static_cast<std::uint64_t>(20 * kMs));
}

}  // namespace
}  // namespace faultline::dnstest
