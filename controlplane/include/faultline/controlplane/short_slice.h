// The background threads faultline starts in a host process (the control
// plane's apply thread, the delay line's engine) run a few microseconds at
// a time and must run when woken, not after another task's slice: they ask
// the fair scheduler for a short slice (EEVDF custom slice, Linux 6.12+:
// sched_runtime of a SCHED_OTHER thread, no privilege needed), which gives
// them an early virtual deadline when they wake, so they preempt a busy
// CPU's current task. Priority and nice stay as they were.
#pragma once

#include <cstdint>

namespace faultline::cp {

// The kernel's minimum custom slice.
inline constexpr std::uint64_t kShortSliceNs = 100'000;

// Asks for `slice_ns` for the calling thread. Older kernels refuse or
// ignore it; a thread of another policy is left alone. Preserves errno.
void request_short_slice(std::uint64_t slice_ns = kShortSliceNs) noexcept;

}  // namespace faultline::cp
