// The shim's command handler: keeps the table of armed faults, turns it into
// immutable plans for the hot path, and mirrors it into the segment for
// tools. Runs on the control plane's apply thread (cp::Target), never on an
// application thread.
//
// A fault is armed at apply time, joins the published plan once its start
// delay (after_ns) has passed, and leaves it when cleared or when tick()
// finds it expired: time to live (for_ns from its start), lease (lease_ns
// from arming or from the last renewal) or hit limit (max_hits; the hot
// path already refuses hits beyond the limit, tick() retires the fault).
// Each of these transitions is reported as an event.
#pragma once

#include <pthread.h>

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/target.h"
#include "faultline/shim/matcher.h"

namespace faultline::cp {
class Segment;
}

namespace faultline::shim {

class PlanManager final : public cp::CommandHandler {
 public:
  // Fault kinds this engine implements; others are rejected at inject.
  static bool supports(abi::FaultKind kind) noexcept;
  // How often tick() wants to run while a fault with a hit limit is in effect.
  static constexpr std::int64_t kMaxHitsPollNs = 20'000'000;

  PlanManager() noexcept;
  // Unpublishes whatever it published (unit tests; the preload never
  // destroys its manager, so a late hot-path reader never sees it go).
  ~PlanManager() override;
  PlanManager(const PlanManager&) = delete;
  PlanManager& operator=(const PlanManager&) = delete;

  // Points fault counters, events and telemetry at `segment` and mirrors
  // what is armed into it. Safe while the apply thread already runs.
  void attach(const cp::Segment* segment) noexcept;
  // Telemetry recording on or off (as the kTelemetry command does).
  void set_telemetry(bool on) noexcept;
  // The longest --for this target accepts (FAULTLINE_MAX_FOR); 0: the
  // control plane's own limit (validate.h kMaxLifetimeNs) only.
  void set_max_for(std::int64_t max_for_ns) noexcept;
  // Process exit: back to pure pass-through (g_mode 0), sinks detached,
  // later commands rejected. The segment may be unmapped afterwards.
  void detach() noexcept;
  // In a fork child, before anything else runs there: forgets the parent's
  // faults and segment without taking any lock (the parent's apply thread
  // may have held it at fork and does not exist here).
  void reset_in_child() noexcept;

  cp::ApplyResult apply(const abi::Command& cmd, std::int64_t now_mono_ns) noexcept override;
  std::int64_t tick(std::int64_t now_mono_ns) noexcept override;

  // Faults armed (started or pending), for tests and diagnostics.
  int armed_count() const noexcept;

 private:
  struct Armed {
    bool active = false;
    bool started = false;  // part of the published plan
    abi::FaultSpec spec{};
    CompiledMatch match{};
    std::uint64_t generation = 0;
    std::uint64_t seed = 0;
    double latent_rho = 0.0;
    std::int64_t armed_ns = 0, starts_ns = 0, ttl_end_ns = 0, lease_end_ns = 0;
    std::int64_t retired_ns = 0;  // when the slot was freed (reuse waits for the plan grace)
  };

  cp::ApplyResult inject(const abi::FaultSpec& spec, std::int64_t now) noexcept;
  cp::ApplyResult clear(const char* id, std::int64_t now) noexcept;
  void clear_all(std::int64_t now) noexcept;
  cp::ApplyResult renew_lease(const char* id, std::int64_t lease_ns, std::int64_t now) noexcept;

  int find(const char* id) const noexcept;
  int free_slot(std::int64_t now) const noexcept;
  void retire(int slot, std::int64_t now, abi::EventType why, const char* detail) noexcept;
  void mirror(int slot) noexcept;
  void update_expiry_mirror(int slot) noexcept;
  void event(abi::EventType type, int slot, const char* detail) noexcept;
  void republish(std::int64_t now) noexcept;
  void update_mode(bool armed) noexcept;

  mutable pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
  Armed slots_[abi::kMaxFaults];
  const cp::Segment* segment_ = nullptr;
  bool telemetry_wanted_ = false;
  std::int64_t max_for_ns_ = 0;
  bool detached_ = false;
};

}  // namespace faultline::shim
