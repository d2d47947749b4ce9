// Clock readings for the control plane, on the clocks abi.h names:
// CLOCK_MONOTONIC for every *_mono_ns, CLOCK_REALTIME for *_wall_ns.
#pragma once

#include <time.h>

#include <cstdint>

namespace faultline::cp::detail {

inline std::int64_t clock_ns(clockid_t clock) noexcept {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline std::int64_t mono_ns() noexcept {
  return clock_ns(CLOCK_MONOTONIC);
}
inline std::int64_t wall_ns() noexcept {
  return clock_ns(CLOCK_REALTIME);
}

}  // namespace faultline::cp::detail
