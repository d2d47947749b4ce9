// Precise waiting for injected delays: sleep with clock_nanosleep(ABSTIME)
// until a margin before the deadline, then spin on the clock (with a pause
// instruction) to the deadline. The margin adapts to the measured oversleep
// of this machine, so a 20 us delay is not 80 us late and a 200 ms delay does
// not burn a core. Restarts after signal handlers (EINTR) to the same
// deadline; never changes errno.
#pragma once

#include <cstdint>

namespace faultline::shim {

void wait_until_ns(std::int64_t deadline_mono_ns) noexcept;
inline void wait_for_ns(std::int64_t ns) noexcept;

// Plain clock_nanosleep to the deadline: the baseline benchmarks compare to.
void sleep_until_ns(std::int64_t deadline_mono_ns) noexcept;

}  // namespace faultline::shim

#include "faultline/shim/clock.h"

inline void faultline::shim::wait_for_ns(std::int64_t ns) noexcept {
  if (ns > 0) wait_until_ns(now_ns() + ns);
}
