// Precise waiting for injected delays: sleep with clock_nanosleep(ABSTIME)
// until a margin before the deadline, then spin on the clock (with a pause
// instruction) to the deadline. The margin adapts to the measured oversleep
// of this machine, so a 20 us delay is not 80 us late and a 200 ms delay does
// not burn a core. Restarts after signal handlers (EINTR) to the same
// deadline; never changes errno.
//
// The margin is mean + 2 deviations of the observed oversleep (EWMAs shared
// by all threads through one relaxed atomic; a lost update only delays the
// adaptation), bounded to [20 us, 200 us], starting at 60 us (Linux's default
// timer slack is 50 us). Waits shorter than the margin only spin.
//
// A long wait sleeps in two stages: first to kStageLeadNs before the
// deadline, then as above. A CPU (or a virtual CPU) idle for a long time
// wakes later than one idle for a millisecond, by more than the margin
// learnt from short sleeps; the first stage takes that late wake-up where
// it costs nothing, and the last sleep is a short one again.
#pragma once

#include <cstdint>

namespace faultline::shim {

// Waits longer than kStagedAboveNs take a first sleep to kStageLeadNs before
// their deadline.
inline constexpr std::int64_t kStagedAboveNs = 3'000'000;
inline constexpr std::int64_t kStageLeadNs = 1'000'000;

void wait_until_ns(std::int64_t deadline_mono_ns) noexcept;
inline void wait_for_ns(std::int64_t ns) noexcept;

// Plain clock_nanosleep to the deadline: the baseline benchmarks compare to.
void sleep_until_ns(std::int64_t deadline_mono_ns) noexcept;

// The current sleep-to-spin margin (also the delay line's engine's).
std::int64_t precise_wait_margin_ns() noexcept;

// Feeds the margin with how late a timed wait made elsewhere woke (the
// delay line's engine sleeps in io_uring, not in wait_until_ns).
void record_timer_oversleep(std::int64_t oversleep_ns) noexcept;

}  // namespace faultline::shim

#include "faultline/shim/clock.h"

inline void faultline::shim::wait_for_ns(std::int64_t ns) noexcept {
  if (ns > 0) wait_until_ns(now_ns() + ns);
}
