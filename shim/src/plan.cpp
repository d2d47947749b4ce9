#include "faultline/shim/plan.h"

#include <time.h>

#include <climits>

#include "faultline/shim/delay_line.h"
#include "faultline/shim/pq_engine.h"

namespace faultline::shim {

constinit std::atomic<const Plan*> g_plan{nullptr};

Plan* PlanPool::begin_write(std::int64_t now) noexcept {
  // A never-used storage has retired_ns_ 0, far in the past of the monotonic
  // clock's start-up offset plus the grace: usable at once.
  for (;;) {
    int oldest = -1;
    for (int i = 0; i < kPlans; ++i) {
      if (i + 1 == current_) continue;
      if (oldest < 0 || retired_ns_[i] < retired_ns_[oldest]) oldest = i;
    }
    const std::int64_t ready_at = retired_ns_[oldest] == 0 ? 0 : retired_ns_[oldest] + kGraceNs;
    if (ready_at <= now) {
      Plan& p = plans_[oldest];
      p.version.store(p.version.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_release);
      return &p;
    }
    const std::int64_t wait = ready_at - now;
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    nanosleep(&ts, nullptr);
    now = ready_at;  // at least that much time passed (even if `now` was not the clock's)
  }
}

namespace {

// dns and pq-* faults act on name lookups and libpq calls, never on a
// socket call: they leave the filter closed, so a process with only those
// armed takes every socket call's shortcut.
bool acts_on_sockets(std::uint16_t kind) noexcept {
  const auto k = static_cast<abi::FaultKind>(kind);
  return k != abi::FaultKind::kDns && !is_pq_kind(k);
}

void build_filters(Plan& plan) noexcept {
  plan.filter = MatchFilter{};
  plan.delay_filter = MatchFilter{};
  plan.kinds = 0;
  const std::uint32_t n = plan.count < abi::kMaxFaults ? plan.count : abi::kMaxFaults;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (plan.faults[i].spec.kind < 32) plan.kinds |= 1u << plan.faults[i].spec.kind;
    if (!acts_on_sockets(plan.faults[i].spec.kind)) continue;
    add_to_filter(plan.filter, plan.matches[i]);
    if (delay::held_kind(plan.faults[i].spec.kind)) add_to_filter(plan.delay_filter, plan.matches[i]);
  }
}

}  // namespace

void PlanPool::publish(Plan* plan, std::int64_t now) noexcept {
  int index = 0;
  if (plan != nullptr) {
    build_filters(*plan);
    index = static_cast<int>(plan - plans_) + 1;
    plan->version.store(plan->version.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  g_plan.store(plan, std::memory_order_release);
  if (current_ > 0) retired_ns_[current_ - 1] = now;
  current_ = index;
}

void PlanPool::reset() noexcept {
  g_plan.store(nullptr, std::memory_order_relaxed);
  for (int i = 0; i < kPlans; ++i) {
    retired_ns_[i] = 0;
    // Leave version even: a storage being written at fork is abandoned.
    const std::uint64_t v = plans_[i].version.load(std::memory_order_relaxed);
    if (v & 1u) plans_[i].version.store(v + 1, std::memory_order_relaxed);
  }
  current_ = 0;
}

}  // namespace faultline::shim
