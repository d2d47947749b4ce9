// The shim's clock: CLOCK_MONOTONIC in nanoseconds, through the vDSO (no
// syscall). Every deadline in faultline, in the target and in tools, is on
// this clock so that a tool's submit time and the target's apply time compare.
#pragma once

#include <time.h>

#include <cstdint>

namespace faultline::shim {

inline std::int64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline std::int64_t wall_now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace faultline::shim
