#include "faultline/controlplane/publish.h"

#include <cstddef>

#include "clock.h"
#include "fixed_string.h"

namespace faultline::cp {
std::uint64_t publish_event(const Segment& seg, abi::EventType type, std::int32_t fault_slot,
                            std::int32_t err, std::uint64_t count, const char* fault_id,
                            const char* detail_text) noexcept {
  const std::uint64_t index = seg.header()->event_head.fetch_add(1, std::memory_order_relaxed);
  abi::Event& e = seg.events()[index % abi::kEventSlots];
  // Incomplete marker first: a reader that sees any of the new fields below
  // also sees seq != its index + 1 on its re-check, and drops the copy.
  e.seq.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  e.mono_ns = detail::mono_ns();
  e.wall_ns = detail::wall_ns();
  e.type = static_cast<std::uint16_t>(type);
  e.fault_slot = static_cast<std::int16_t>(fault_slot);
  e.err = err;
  e.count = count;
  detail::copy_cstr(e.fault_id, fault_id);
  detail::copy_cstr(e.detail, detail_text);
  e.seq.store(index + 1, std::memory_order_release);
  return index;
}

void begin_fault_slot_update(abi::FaultSlot& slot) noexcept {
  slot.generation.store(slot.generation.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void end_fault_slot_update(abi::FaultSlot& slot) noexcept {
  slot.generation.store(slot.generation.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void arm_fault_slot(abi::FaultSlot& slot, const abi::FaultSpec& spec, std::int64_t armed_mono_ns,
                    std::int64_t starts_mono_ns, std::int64_t expires_mono_ns, std::uint64_t seed) noexcept {
  begin_fault_slot_update(slot);
  slot.active = 1;
  slot.armed_mono_ns = armed_mono_ns;
  slot.starts_mono_ns = starts_mono_ns;
  slot.expires_mono_ns = expires_mono_ns;
  slot.seed = seed;
  slot.hits.store(0, std::memory_order_relaxed);
  slot.matched.store(0, std::memory_order_relaxed);
  slot.spec = spec;
  end_fault_slot_update(slot);
}

void free_fault_slot(abi::FaultSlot& slot) noexcept {
  begin_fault_slot_update(slot);
  slot.active = 0;
  end_fault_slot_update(slot);
}

}  // namespace faultline::cp
