// The target's writes into regions that tools read: the event ring and the
// mirror of armed faults. Each follows the seqlock-style protocol Client
// reads with, so the shim never touches the raw slots itself.
#pragma once

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp {

// Appends an event (any target thread; no lock, allocation or syscall).
// A slot is rewritten every kEventSlots events; readers skip a slot whose
// seq is not index + 1. Strings are truncated. Returns the event's index.
std::uint64_t publish_event(const Segment& seg, abi::EventType type, std::int32_t fault_slot,
                            std::int32_t err, std::uint64_t count, const char* fault_id,
                            const char* detail_text) noexcept;

// A fault slot has one writer, the apply thread. Between begin and end its
// generation is odd and readers retry; hits and matched are live counters
// outside the protocol.
void begin_fault_slot_update(abi::FaultSlot& slot) noexcept;
void end_fault_slot_update(abi::FaultSlot& slot) noexcept;

// Arms `slot` with `spec` and resets its counters.
void arm_fault_slot(abi::FaultSlot& slot, const abi::FaultSpec& spec, std::int64_t armed_mono_ns,
                    std::int64_t starts_mono_ns, std::int64_t expires_mono_ns, std::uint64_t seed) noexcept;
// Marks `slot` free.
void free_fault_slot(abi::FaultSlot& slot) noexcept;

}  // namespace faultline::cp
