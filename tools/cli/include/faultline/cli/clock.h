// CLOCK_MONOTONIC in nanoseconds: the clock of every timestamp in a segment
// (system-wide, so a tool and a target agree on it).
#pragma once

#include <time.h>

#include <cstdint>

namespace faultline::cli {

inline std::int64_t mono_now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace faultline::cli
