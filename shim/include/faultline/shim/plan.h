// The fault plan: an immutable snapshot of the faults in effect, built by the
// plan manager on the apply thread and published by pointer (release); hot
// paths load it (acquire) only after g_mode said armed.
//
// Memory safety for readers. Plans live in a fixed static pool and are never
// freed, so a pointer to one always points at mapped memory. A retired plan
// is rewritten only after a grace period (kGraceNs) since it stopped being
// current, which covers any reader that merely got preempted mid-scan (a
// scan takes well under a microsecond). A reader stalled for longer (stopped
// by a debugger, starved) is caught by the plan's version, a seqlock: odd
// while the pool rewrites the storage; the reader re-checks it after its scan
// and throws away what it read if it changed. So no reader ever acts on a
// torn plan, and the apply thread never waits for readers.
#pragma once

#include <atomic>
#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/match_filter.h"
#include "faultline/shim/matcher.h"

namespace faultline::shim {

// One armed fault as the hot path needs it.
struct CompiledFault {
  abi::FaultSpec spec{};
  std::uint64_t generation = 0;  // unique per arming, never 0: tags per-thread model state
  std::uint64_t seed = 0;        // the seed in use (derived from the clock when spec.seed == 0)
  double latent_rho = 0.0;       // latency: DelayModel's calibrated AR(1) coefficient
  std::uint32_t slot = 0;        // FaultSlot index: counters, events
  std::uint32_t pad = 0;
};

struct Plan {
  std::atomic<std::uint64_t> version{0};  // odd while the pool rewrites this storage
  std::uint32_t count = 0;                // faults in use
  std::uint32_t kinds = 0;                // bit 1 << FaultKind of each fault in use (PlanPool::publish)
  // Reject filters (match_filter.h), filled by PlanPool::publish from the
  // matches: `filter` over every fault (in the same cache line as the
  // version), `delay_filter` over the faults the delay line holds ingress for (its
  // could_delay). A call either rejects passes without a scan.
  MatchFilter filter;
  MatchFilter delay_filter;
  CompiledMatch matches[abi::kMaxFaults];  // scanned first: compact, one line per ~1.5 faults
  CompiledFault faults[abi::kMaxFaults];
};

// The plan in effect; null when nothing is armed.
extern std::atomic<const Plan*> g_plan;

// Fixed storage for plans. Used by the plan manager (apply thread) only.
class PlanPool {
 public:
  static constexpr int kPlans = 16;
  static constexpr std::int64_t kGraceNs = 10'000'000;

  // Storage for the next plan, marked as being written (version odd):
  // neither current nor retired less than kGraceNs before `now`. Sleeps (on
  // the apply thread) until the oldest retired plan's grace ends when all
  // are recent.
  Plan* begin_write(std::int64_t now) noexcept;
  // Ends the write and makes `plan` current (null: nothing armed); the
  // previous current plan starts its grace period at `now`. Builds the
  // plan's filters from its count, matches and fault kinds first.
  void publish(Plan* plan, std::int64_t now) noexcept;
  // Fork child: no plan current, every storage free. Only the forking thread
  // exists, so nobody reads the old plans.
  void reset() noexcept;

 private:
  Plan plans_[kPlans]{};
  std::int64_t retired_ns_[kPlans]{};  // 0: never used
  int current_ = 0;                    // index + 1 of the current plan, 0 for none (all-zero: BSS)
};

}  // namespace faultline::shim
