#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "faultline/shim/plan.h"

namespace faultline::shim {
namespace {

constexpr std::int64_t kT = 1'000'000'000'000;  // an arbitrary instant

TEST(PlanPool, ShouldMarkPlanBeingWrittenUntilPublished) {
  auto pool = std::make_unique<PlanPool>();
  Plan* p = pool->begin_write(kT);
  EXPECT_EQ(p->version.load() % 2, 1u);
  pool->publish(p, kT);
  EXPECT_EQ(p->version.load() % 2, 0u);
  EXPECT_EQ(g_plan.load(), p);
  pool->publish(nullptr, kT);
  EXPECT_EQ(g_plan.load(), nullptr);
}

TEST(PlanPool, ShouldNotReuseRetiredPlanWithinTheGracePeriod) {
  auto pool = std::make_unique<PlanPool>();
  std::set<Plan*> seen;
  Plan* first = pool->begin_write(kT);
  pool->publish(first, kT);
  seen.insert(first);
  // Every other storage is used once before `first`, retired at kT, may come back.
  for (int i = 1; i < PlanPool::kPlans; ++i) {
    Plan* p = pool->begin_write(kT);
    EXPECT_EQ(seen.count(p), 0u) << "storage reused within the grace period";
    seen.insert(p);
    pool->publish(p, kT);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(PlanPool::kPlans));
  // All retired at kT: after the grace, the oldest retired storage is reused.
  Plan* again = pool->begin_write(kT + PlanPool::kGraceNs);
  EXPECT_EQ(again, first);
  pool->publish(nullptr, kT + PlanPool::kGraceNs);
}

TEST(PlanPool, ShouldWaitOutTheGraceWhenEveryStorageIsRecent) {
  auto pool = std::make_unique<PlanPool>();
  for (int i = 0; i < PlanPool::kPlans; ++i) pool->publish(pool->begin_write(kT), kT);
  // Every storage but the current one retired at kT: the next write waits.
  const auto t0 = std::chrono::steady_clock::now();
  Plan* p = pool->begin_write(kT);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::nanoseconds(PlanPool::kGraceNs));
  EXPECT_NE(p, g_plan.load());
  pool->publish(nullptr, kT);
}

TEST(PlanPool, ShouldForgetEverythingOnReset) {
  auto pool = std::make_unique<PlanPool>();
  Plan* p = pool->begin_write(kT);
  pool->reset();  // as in a fork child: the write in progress is abandoned
  EXPECT_EQ(g_plan.load(), nullptr);
  EXPECT_EQ(p->version.load() % 2, 0u);
}

}  // namespace
}  // namespace faultline::shim
