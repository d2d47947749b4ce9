// Token bucket for the bandwidth fault: `rate` bytes per second with a burst
// of `burst` bytes. reserve() returns how long the caller must wait before
// its bytes may go (0 = now). Single-stream: one per connection.
//
// Exact: the state is the instant the bucket runs dry, kept as a rational
// number of nanoseconds (whole ns + remainder/rate), so a long run paced by
// the returned waits moves bytes at exactly `rate` with no rounding drift.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline::shim {

class TokenBucket {
 public:
  // The bucket starts full. rate 0 means unlimited (reserve() returns 0).
  void configure(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, std::int64_t now_ns) noexcept;
  // Takes `bytes` (may go negative = debt) and returns the wait in ns until
  // the debt is paid (rounded up to the next ns).
  std::int64_t reserve(std::int64_t now_ns, std::size_t bytes) noexcept;

 private:
  std::uint64_t rate_ = 0;
  // Burst as a duration: burst * 1e9 / rate = burst_ns_ + burst_rem_ / rate_.
  std::int64_t burst_ns_ = 0;
  std::uint64_t burst_rem_ = 0;
  // Empty instant: tokens(t) = min(burst, (t - empty) * rate / 1e9), and
  // empty = empty_ns_ + empty_rem_ / rate_ with empty_rem_ < rate_.
  std::int64_t empty_ns_ = 0;
  std::uint64_t empty_rem_ = 0;
};

}  // namespace faultline::shim
