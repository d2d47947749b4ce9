// What the engines of the faults that act outside the socket calls (libpq,
// DNS) share: a scan of the published plan that reports whether the storage
// was reused under it, the per-thread --pct streams, the --max-hits claim
// and the first-hit event. The socket engine (engine.cpp) shares the claim
// and the event; it keeps its own per-thread state, which also holds the
// delay and loss models.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/publish.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/plan.h"
#include "faultline/shim/rng.h"

namespace faultline::shim::scan {

// Calls visit(const CompiledFault&, abi::FaultSlot& counters) for every
// fault of the published plan. False when the plan's storage was being or
// has been rewritten meanwhile (a reader stalled past the grace period):
// the caller throws away what it gathered and passes the call.
template <class Visit>
bool for_each_published(Visit&& visit) noexcept {
  const Plan* plan = g_plan.load(std::memory_order_acquire);
  if (plan == nullptr) return true;
  const std::uint64_t version = plan->version.load(std::memory_order_acquire);
  if (version & 1u) return false;
  const std::uint32_t n = std::min(plan->count, abi::kMaxFaults);
  abi::FaultSlot* slots = fault_slots();
  for (std::uint32_t i = 0; i < n; ++i) {
    const CompiledFault& f = plan->faults[i];
    if (f.slot < abi::kMaxFaults) visit(f, slots[f.slot]);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  return plan->version.load(std::memory_order_relaxed) == version;
}

// The calling thread's --pct stream for fault `f`, seeded from its seed,
// `tag` (which keeps the engines' streams apart) and the thread's ordinal;
// reseeded when the slot holds a new arming. Initial-exec TLS, no
// constructor, no allocation.
Rng& pct_stream(const CompiledFault& f, std::uint64_t tag) noexcept;

// Claims one hit under --max-hits: exactly max_hits claims succeed, however
// many threads race. The hit count including this one, 0 if refused.
inline std::uint64_t claim_hit(std::atomic<std::uint64_t>& hits, std::uint64_t max_hits) noexcept {
  if (max_hits == 0) return hits.fetch_add(1, std::memory_order_relaxed) + 1;
  std::uint64_t h = hits.load(std::memory_order_relaxed);
  do {
    if (h >= max_hits) return 0;
  } while (!hits.compare_exchange_weak(h, h + 1, std::memory_order_relaxed));
  return h + 1;
}

// Reports a fault's first hit (`hits` == 1) as an event, once attached.
inline void report_first_hit(const CompiledFault& f, std::uint64_t hits) noexcept {
  if (hits != 1) return;
  if (const cp::Segment* seg = event_sink())
    cp::publish_event(*seg, abi::EventType::kFaultFired, static_cast<std::int32_t>(f.slot), 0, hits,
                      f.spec.id, "first hit");
}

// Counts a matching call and decides whether `f` fires on it: the --pct
// draw, then the --max-hits claim, then the event of its first hit.
bool fires(const CompiledFault& f, abi::FaultSlot& counters, std::uint64_t tag) noexcept;

}  // namespace faultline::shim::scan
