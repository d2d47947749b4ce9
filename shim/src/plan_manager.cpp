#include "faultline/shim/plan_manager.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "faultline/controlplane/publish.h"
#include "faultline/controlplane/segment.h"
#include "faultline/controlplane/validate.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/delay_model.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/plan.h"
#include "faultline/shim/pq_engine.h"
#include "faultline/shim/rng.h"
#include "faultline/shim/telemetry_writer.h"

namespace faultline::shim {
namespace {

// One process, one plan pool: plans outlive any manager (hot paths may hold
// a pointer), so they are not a member.
constinit PlanPool g_pool;
// Generations only grow, across managers and fork, so a thread's model state
// configured for an old fault never passes for a new one.
constinit std::atomic<std::uint64_t> g_generation{0};

class Lock {
 public:
  explicit Lock(pthread_mutex_t& m) noexcept : m_(m) { pthread_mutex_lock(&m_); }
  ~Lock() { pthread_mutex_unlock(&m_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  pthread_mutex_t& m_;
};

cp::ApplyResult rejected(const char* fmt, ...) noexcept __attribute__((format(printf, 1, 2)));
cp::ApplyResult rejected(const char* fmt, ...) noexcept {
  cp::ApplyResult r;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(r.reason, sizeof r.reason, fmt, ap);
  va_end(ap);
  return r;
}

cp::ApplyResult applied(int slot = -1) noexcept {
  cp::ApplyResult r;
  r.applied = true;
  r.fault_slot = slot;
  return r;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out;
  return __builtin_add_overflow(a, b, &out) ? INT64_MAX : out;
}

bool same_id(const char (&a)[abi::kIdLen], const char* b) noexcept {
  return std::strncmp(a, b, abi::kIdLen) == 0;
}

// The data faults, carried out by the armed data calls (preload/src/armed_io.cpp).
bool is_data_kind(abi::FaultKind kind) noexcept {
  return kind == abi::FaultKind::kBandwidth || kind == abi::FaultKind::kSlice ||
         kind == abi::FaultKind::kCorrupt || kind == abi::FaultKind::kDuplicate ||
         kind == abi::FaultKind::kReorder;
}

}  // namespace

bool PlanManager::supports(abi::FaultKind kind) noexcept {
  return kind == abi::FaultKind::kLatency || kind == abi::FaultKind::kLoss || kind == abi::FaultKind::kDns ||
         kind == abi::FaultKind::kStall || kind == abi::FaultKind::kReset ||
         kind == abi::FaultKind::kBlackhole || kind == abi::FaultKind::kRefuse ||
         kind == abi::FaultKind::kErrno || is_pq_kind(kind) || is_data_kind(kind);
}

PlanManager::PlanManager() noexcept = default;

PlanManager::~PlanManager() {
  detach();
  pthread_mutex_destroy(&mutex_);
}

void PlanManager::attach(const cp::Segment* segment) noexcept {
  Lock lock(mutex_);
  if (segment == nullptr || !segment->valid() || detached_) return;
  abi::FaultSlot* local = fault_slots();
  abi::FaultSlot* shared = segment->faults();
  segment_ = segment;
  set_fault_slots(shared);
  for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i) {
    if (!slots_[i].active) continue;
    mirror(i);  // resets the shared counters: carry the local ones over
    shared[i].hits.store(local[i].hits.load(std::memory_order_relaxed), std::memory_order_relaxed);
    shared[i].matched.store(local[i].matched.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  set_event_sink(segment);
  set_telemetry_sink(segment->telemetry());
  segment->telemetry()->enabled.store(telemetry_wanted_ ? 1 : 0, std::memory_order_relaxed);
  update_mode(g_plan.load(std::memory_order_relaxed) != nullptr);
}

void PlanManager::set_max_for(std::int64_t max_for_ns) noexcept {
  Lock lock(mutex_);
  max_for_ns_ = max_for_ns > 0 ? max_for_ns : 0;
}

void PlanManager::set_telemetry(bool on) noexcept {
  Lock lock(mutex_);
  telemetry_wanted_ = on;
  if (segment_ != nullptr) segment_->telemetry()->enabled.store(on ? 1 : 0, std::memory_order_relaxed);
  update_mode(g_plan.load(std::memory_order_relaxed) != nullptr);
}

void PlanManager::detach() noexcept {
  Lock lock(mutex_);
  detached_ = true;
  g_mode.fetch_and(kModeLibcCalls, std::memory_order_release);
  g_pool.publish(nullptr, now_ns());
  set_event_sink(nullptr);
  set_telemetry_sink(nullptr);
  set_fault_slots(nullptr);
  segment_ = nullptr;
}

void PlanManager::reset_in_child() noexcept {
  g_mode.fetch_and(kModeLibcCalls, std::memory_order_relaxed);
  g_pool.reset();
  set_event_sink(nullptr);
  set_telemetry_sink(nullptr);
  set_fault_slots(nullptr);
  for (abi::FaultSlot *s = fault_slots(), *end = s + abi::kMaxFaults; s != end; ++s) {
    cp::free_fault_slot(*s);
    s->hits.store(0, std::memory_order_relaxed);
    s->matched.store(0, std::memory_order_relaxed);
  }
  for (Armed& a : slots_) a = Armed{};
  pq_reset_in_child();
  conn::reset_in_child();
  segment_ = nullptr;
  telemetry_wanted_ = false;
  detached_ = false;
  pthread_mutex_init(&mutex_, nullptr);
}

cp::ApplyResult PlanManager::apply(const abi::Command& cmd, std::int64_t now) noexcept {
  mark_shim_thread();
  Lock lock(mutex_);
  if (detached_) return rejected("target is exiting");
  switch (static_cast<abi::CommandOp>(cmd.op)) {
    case abi::CommandOp::kInject:
      return inject(cmd.fault, now);
    case abi::CommandOp::kClear:
      return clear(cmd.target_id, now);
    case abi::CommandOp::kClearAll:
      clear_all(now);
      return applied();
    case abi::CommandOp::kRenewLease:
      return renew_lease(cmd.target_id, cmd.lease_ns, now);
    case abi::CommandOp::kTelemetry:
      telemetry_wanted_ = (cmd.flags & 1u) != 0;
      if (segment_ != nullptr)
        segment_->telemetry()->enabled.store(telemetry_wanted_ ? 1 : 0, std::memory_order_relaxed);
      update_mode(g_plan.load(std::memory_order_relaxed) != nullptr);
      return applied();
    default:
      return rejected("unknown command op %u", static_cast<unsigned>(cmd.op));
  }
}

cp::ApplyResult PlanManager::inject(const abi::FaultSpec& spec, std::int64_t now) noexcept {
  if (spec.id[0] == '\0') return rejected("fault id is empty: the tool must name every fault");
  char reason[abi::kReasonLen];
  if (!cp::validate_fault(spec, reason, sizeof reason)) return rejected("%s", reason);
  if (find(spec.id) >= 0) return rejected("fault id '%s' already armed", spec.id);
  if (max_for_ns_ > 0 && spec.for_ns > max_for_ns_)
    return rejected("--for %.3fs is longer than this target allows: at most %.3fs (FAULTLINE_MAX_FOR)",
                    static_cast<double>(spec.for_ns) / 1e9, static_cast<double>(max_for_ns_) / 1e9);
  const auto kind = static_cast<abi::FaultKind>(spec.kind);
  if (!supports(kind))
    return rejected("fault '%s' is not supported by this target", cp::fault_kind_name(kind));
  const int slot = free_slot(now);
  if (slot < 0) return rejected("fault table full: %u faults armed", abi::kMaxFaults);
  const std::uint64_t generation = g_generation.fetch_add(1, std::memory_order_relaxed) + 1;
  // libpq faults: their --sql pattern is compiled here, off the hot path.
  if (is_pq_kind(kind) && !pq_arm(spec, generation, reason, sizeof reason)) return rejected("%s", reason);

  Armed& a = slots_[slot];
  a = Armed{};
  a.active = true;
  a.spec = spec;
  a.match = compile_match(spec.match);
  a.generation = generation;
  a.seed =
      spec.seed != 0 ? spec.seed : (mix_seed(static_cast<std::uint64_t>(wall_now_ns()), a.generation) | 1u);
  if (kind == abi::FaultKind::kLatency) {
    DelayParams p;
    p.delay_ns = spec.delay_ns;
    p.jitter_ns = spec.jitter_ns;
    p.correlation = static_cast<double>(spec.correlation_ppm) / 1e6;
    p.distribution = static_cast<abi::Distribution>(spec.distribution);
    a.latent_rho = calibrate_latent_rho(p);
  }
  a.armed_ns = now;
  a.starts_ns = saturating_add(now, std::max<std::int64_t>(spec.after_ns, 0));
  a.ttl_end_ns = spec.for_ns > 0 ? saturating_add(a.starts_ns, spec.for_ns) : INT64_MAX;
  a.lease_end_ns = spec.lease_ns > 0 ? saturating_add(now, spec.lease_ns) : INT64_MAX;
  mirror(slot);
  event(abi::EventType::kFaultArmed, slot, spec.after_ns > 0 ? "armed, waiting for --after" : "armed");
  if (a.starts_ns <= now) {
    a.started = true;
    republish(now);
  }
  return applied(slot);
}

cp::ApplyResult PlanManager::clear(const char* id, std::int64_t now) noexcept {
  const int slot = find(id);
  if (slot < 0) return rejected("no fault '%.*s' armed", static_cast<int>(abi::kIdLen), id);
  const bool was_started = slots_[slot].started;
  retire(slot, now, abi::EventType::kFaultCleared, "cleared");
  if (was_started) republish(now);
  return applied(slot);
}

void PlanManager::clear_all(std::int64_t now) noexcept {
  bool any_started = false;
  for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i) {
    if (!slots_[i].active) continue;
    any_started = any_started || slots_[i].started;
    retire(i, now, abi::EventType::kFaultCleared, "cleared (all)");
  }
  if (any_started) republish(now);
}

cp::ApplyResult PlanManager::renew_lease(const char* id, std::int64_t lease_ns, std::int64_t now) noexcept {
  if (id[0] == '\0') {
    for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i) {
      Armed& a = slots_[i];
      if (!a.active || a.spec.lease_ns <= 0) continue;
      a.lease_end_ns = saturating_add(now, lease_ns > 0 ? lease_ns : a.spec.lease_ns);
      update_expiry_mirror(i);
    }
    return applied();
  }
  const int slot = find(id);
  if (slot < 0) return rejected("no fault '%.*s' armed", static_cast<int>(abi::kIdLen), id);
  Armed& a = slots_[slot];
  const std::int64_t lease = lease_ns > 0 ? lease_ns : a.spec.lease_ns;
  if (lease <= 0) return rejected("fault '%s' has no lease and the renewal gives none", a.spec.id);
  a.lease_end_ns = saturating_add(now, lease);
  update_expiry_mirror(slot);
  return applied(slot);
}

std::int64_t PlanManager::tick(std::int64_t now) noexcept {
  mark_shim_thread();
  Lock lock(mutex_);
  bool changed = false;
  const abi::FaultSlot* counters = fault_slots();
  for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i) {
    Armed& a = slots_[i];
    if (!a.active) continue;
    const char* why = nullptr;
    if (now >= a.ttl_end_ns)
      why = "ttl";
    else if (now >= a.lease_end_ns)
      why = "lease";
    else if (a.spec.max_hits != 0 && counters[i].hits.load(std::memory_order_relaxed) >= a.spec.max_hits)
      why = "max-hits";
    if (why != nullptr) {
      changed = changed || a.started;
      retire(i, now, abi::EventType::kFaultExpired, why);
    } else if (!a.started && now >= a.starts_ns) {
      a.started = true;
      changed = true;
    }
  }
  if (changed) republish(now);

  std::int64_t next = INT64_MAX;
  for (const Armed& a : slots_) {
    if (!a.active) continue;
    next = std::min({next, a.started ? a.ttl_end_ns : a.starts_ns, a.lease_end_ns});
    if (a.started && a.spec.max_hits != 0) next = std::min(next, saturating_add(now, kMaxHitsPollNs));
  }
  return next;
}

int PlanManager::armed_count() const noexcept {
  Lock lock(mutex_);
  int n = 0;
  for (const Armed& a : slots_) n += a.active ? 1 : 0;
  return n;
}

int PlanManager::find(const char* id) const noexcept {
  for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i)
    if (slots_[i].active && same_id(slots_[i].spec.id, id)) return i;
  return -1;
}

int PlanManager::free_slot(std::int64_t now) const noexcept {
  // Prefer a slot free for longer than the plan grace: a reader still
  // scanning a retired plan may bump the counters of the fault it knew there.
  int oldest = -1;
  for (int i = 0; i < static_cast<int>(abi::kMaxFaults); ++i) {
    const Armed& a = slots_[i];
    if (a.active) continue;
    if (a.retired_ns == 0 || now - a.retired_ns >= PlanPool::kGraceNs) return i;
    if (oldest < 0 || a.retired_ns < slots_[oldest].retired_ns) oldest = i;
  }
  return oldest;
}

void PlanManager::retire(int slot, std::int64_t now, abi::EventType why, const char* detail) noexcept {
  Armed& a = slots_[slot];
  event(why, slot, detail);
  cp::free_fault_slot(fault_slots()[slot]);
  if (is_pq_kind(static_cast<abi::FaultKind>(a.spec.kind))) pq_disarm(a.generation);
  a.active = false;
  a.started = false;
  a.retired_ns = now != 0 ? now : 1;
}

void PlanManager::mirror(int slot) noexcept {
  const Armed& a = slots_[slot];
  cp::arm_fault_slot(fault_slots()[slot], a.spec, a.armed_ns, a.starts_ns,
                     std::min(a.ttl_end_ns, a.lease_end_ns), a.seed);
}

void PlanManager::update_expiry_mirror(int slot) noexcept {
  const Armed& a = slots_[slot];
  abi::FaultSlot& s = fault_slots()[slot];
  cp::begin_fault_slot_update(s);
  s.expires_mono_ns = std::min(a.ttl_end_ns, a.lease_end_ns);
  cp::end_fault_slot_update(s);
}

void PlanManager::event(abi::EventType type, int slot, const char* detail) noexcept {
  if (segment_ == nullptr) return;
  cp::publish_event(*segment_, type, slot, 0, fault_slots()[slot].hits.load(std::memory_order_relaxed),
                    slots_[slot].spec.id, detail);
}

void PlanManager::republish(std::int64_t now) noexcept {
  std::uint32_t count = 0;
  for (const Armed& a : slots_) count += a.started ? 1u : 0u;
  if (count == 0 || detached_) {
    update_mode(false);
    g_pool.publish(nullptr, now);
    return;
  }
  Plan* plan = g_pool.begin_write(now);
  plan->count = count;
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < abi::kMaxFaults; ++i) {
    const Armed& a = slots_[i];
    if (!a.started) continue;
    plan->matches[n] = a.match;
    CompiledFault& f = plan->faults[n];
    f.spec = a.spec;
    f.generation = a.generation;
    f.seed = a.seed;
    f.latent_rho = a.latent_rho;
    f.slot = i;
    ++n;
  }
  g_pool.publish(plan, now);
  update_mode(true);
}

void PlanManager::update_mode(bool armed) noexcept {
  if (detached_) return;
  std::uint32_t mode = armed ? kModeArmed : 0u;
  if (telemetry_wanted_ && telemetry_sink() != nullptr) mode |= kModeTelemetry;
  // The delay line and the connection marks own their bits (delay::kModeDelayLine,
  // conn::kModeConnections) and flip them from other threads; the preload owns
  // kModeLibcCalls.
  constexpr std::uint32_t kOthers = delay::kModeDelayLine | conn::kModeConnections | kModeLibcCalls;
  std::uint32_t old = g_mode.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint32_t next = mode | (old & kOthers);
    if (next == old) return;
    // Descriptors may have been recycled while wrappers only passed through.
    if (idle(old)) g_fd_table.invalidate_all();
    if (g_mode.compare_exchange_weak(old, next, std::memory_order_release, std::memory_order_relaxed)) return;
  }
}

}  // namespace faultline::shim
