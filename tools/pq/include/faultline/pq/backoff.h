// Exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): the delay before retry n is uniform in
// [0, min(cap, base * 2^(n-1))], so clients that failed together do not
// retry together. The RNG is seeded, so a test or a replayed run sees the
// same delays.
#pragma once

#include <chrono>
#include <cstdint>

namespace faultline::pq {

struct BackoffPolicy {
  // Tries of one call, the first one included.
  int max_attempts = 6;
  // Ceiling of the delay before the first retry; each retry doubles it.
  std::chrono::milliseconds base{50};
  // No single delay is longer than this.
  std::chrono::milliseconds cap{std::chrono::seconds(2)};
  // A retry whose delay would end later than this after the first try
  // started is not made: the call fails instead.
  std::chrono::milliseconds max_elapsed{std::chrono::seconds(5)};
};

// splitmix64: tiny, fast, and the same sequence for a seed on every platform
// (std::uniform_int_distribution is not).
class JitterRng {
 public:
  explicit JitterRng(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept;
  // Uniform in [0, bound]; the modulo bias is below 2^-32 for bounds under 2^32.
  std::uint64_t uniform(std::uint64_t bound) noexcept;

 private:
  std::uint64_t state_;
};

// Not thread-safe: one Backoff per caller, or a lock around it.
class Backoff {
 public:
  Backoff(const BackoffPolicy& policy, std::uint64_t seed) noexcept : policy_(policy), rng_(seed) {}

  // min(cap, base * 2^(retry-1)) for retry >= 1.
  std::chrono::microseconds ceiling(int retry) const noexcept;
  // A draw uniform in [0, ceiling(retry)], at microsecond resolution.
  std::chrono::microseconds delay(int retry) noexcept;
  const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  BackoffPolicy policy_;
  JitterRng rng_;
};

}  // namespace faultline::pq
