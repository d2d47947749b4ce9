// decide_dns against a plan published in this process (no preload): which
// lookups a dns fault selects, what it does, its --pct and --max-hits, and
// that dns faults leave the socket calls' reject filter closed.
#include "faultline/shim/dns_engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "faultline/shim/engine.h"
#include "faultline/shim/plan.h"

namespace faultline::shim {
namespace {

constexpr std::int64_t kT = 1'000'000'000'000;

CompiledFault dns_fault(std::uint32_t slot, const char* glob, std::int64_t delay_ns, bool fail) {
  CompiledFault f;
  f.spec.kind = static_cast<std::uint16_t>(abi::FaultKind::kDns);
  f.spec.pct_ppm = 1'000'000;
  f.spec.delay_ns = delay_ns;
  f.spec.dns_fail = fail ? 1 : 0;
  std::strncpy(f.spec.host_glob, glob, sizeof f.spec.host_glob - 1);
  f.slot = slot;
  f.generation = 100 + slot;
  f.seed = 42;
  return f;
}

// Publishes `faults` for the test's lifetime; counters in the process-local slots.
class DnsEngine : public ::testing::Test {
 protected:
  void publish(std::initializer_list<CompiledFault> faults) {
    Plan* p = pool_->begin_write(kT);
    p->count = 0;
    for (const CompiledFault& f : faults) {
      p->matches[p->count] = CompiledMatch{};
      p->faults[p->count++] = f;
      fault_slots()[f.slot].hits.store(0);
      fault_slots()[f.slot].matched.store(0);
    }
    pool_->publish(p, kT);
    plan_ = p;
  }
  void TearDown() override { pool_->publish(nullptr, kT); }

  std::unique_ptr<PlanPool> pool_ = std::make_unique<PlanPool>();
  const Plan* plan_ = nullptr;
};

TEST_F(DnsEngine, ShouldFailOrDelayOnlyTheNamesTheGlobSelects) {
  publish({dns_fault(0, "*.internal", 0, true), dns_fault(1, "cache?", 5'000'000, false)});
  EXPECT_TRUE(decide_dns("db.internal").fail);
  EXPECT_TRUE(decide_dns("DB.Internal.").fail);
  EXPECT_TRUE(decide_dns("localhost").pass());
  const DnsVerdict slow = decide_dns("cache1");
  EXPECT_FALSE(slow.fail);
  EXPECT_EQ(slow.delay_ns, 5'000'000);
  EXPECT_EQ(fault_slots()[0].hits.load(), 2u);
  EXPECT_EQ(fault_slots()[1].hits.load(), 1u);
  EXPECT_EQ(fault_slots()[1].matched.load(), 1u);
}

TEST_F(DnsEngine, ShouldAddDelaysAndKeepTheFailureWhenSeveralFaultsSelectAName) {
  publish({dns_fault(0, "*", 3'000'000, false), dns_fault(1, "db*", 4'000'000, false),
           dns_fault(2, "db", 0, true)});
  const DnsVerdict v = decide_dns("db");
  EXPECT_EQ(v.delay_ns, 7'000'000);
  EXPECT_TRUE(v.fail);
  EXPECT_EQ(v.fired, 3u);
}

TEST_F(DnsEngine, ShouldPassNumericAddressesAndMissingNames) {
  publish({dns_fault(0, "*", 0, true)});
  EXPECT_TRUE(decide_dns("10.1.2.3").pass());
  EXPECT_TRUE(decide_dns("::1").pass());
  EXPECT_TRUE(decide_dns(nullptr).pass());
  EXPECT_TRUE(decide_dns("").pass());
  EXPECT_EQ(fault_slots()[0].matched.load(), 0u);
  EXPECT_TRUE(decide_dns("a").fail);
}

TEST_F(DnsEngine, ShouldStopAtMaxHits) {
  CompiledFault f = dns_fault(0, "*", 0, true);
  f.spec.max_hits = 3;
  publish({f});
  int failed = 0;
  for (int i = 0; i < 10; ++i) failed += decide_dns("x").fail ? 1 : 0;
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(fault_slots()[0].matched.load(), 10u);
}

TEST_F(DnsEngine, ShouldFireOnAboutPctOfLookups) {
  CompiledFault f = dns_fault(0, "*", 0, true);
  f.spec.pct_ppm = 250'000;
  publish({f});
  constexpr int kN = 20'000;
  int failed = 0;
  for (int i = 0; i < kN; ++i) failed += decide_dns("x").fail ? 1 : 0;
  // Binomial(20000, 0.25): sd ~61; five sd either side.
  EXPECT_NEAR(failed, kN / 4, 310);
}

TEST_F(DnsEngine, ShouldNotActOnSocketCalls) {
  publish({dns_fault(0, "*", 0, true)});
  SocketInfo s{};
  s.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  EXPECT_TRUE(decide(Op::kSend, abi::Direction::kEgress, s, 10).pass());
  EXPECT_EQ(fault_slots()[0].matched.load(), 0u);
}

TEST_F(DnsEngine, ShouldLeaveTheSocketFilterClosedWhenOnlyDnsFaultsAreArmed) {
  publish({dns_fault(0, "*", 0, true)});
  SocketInfo s{};
  s.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  s.family = 4;
  s.has_peer = 1;
  s.peer_port = 53;
  EXPECT_TRUE(plan_->filter.rejects(abi::Direction::kEgress, s));
  EXPECT_TRUE(plan_->filter.rejects(abi::Direction::kIngress, s, true));
}

}  // namespace
}  // namespace faultline::shim
