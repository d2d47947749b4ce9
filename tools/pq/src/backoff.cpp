#include "faultline/pq/backoff.h"

#include <algorithm>

namespace faultline::pq {

std::uint64_t JitterRng::next() noexcept {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t JitterRng::uniform(std::uint64_t bound) noexcept {
  if (bound == UINT64_MAX) return next();
  return next() % (bound + 1);
}

std::chrono::microseconds Backoff::ceiling(int retry) const noexcept {
  using std::chrono::microseconds;
  const microseconds cap = std::max(microseconds(0), microseconds(policy_.cap));
  microseconds ceiling = std::max(microseconds(0), microseconds(policy_.base));
  // Doubling stops at the cap, so large retry numbers cannot overflow.
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;
  return std::min(ceiling, cap);
}

std::chrono::microseconds Backoff::delay(int retry) noexcept {
  const auto bound = static_cast<std::uint64_t>(ceiling(retry).count());
  return std::chrono::microseconds(static_cast<std::int64_t>(rng_.uniform(bound)));
}

}  // namespace faultline::pq
