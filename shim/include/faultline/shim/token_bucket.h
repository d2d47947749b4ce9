// Token bucket for the bandwidth fault: `rate` bytes per second with a burst
// of `burst` bytes. reserve() returns how long the caller must wait before
// its bytes may go (0 = now). Single-stream: one per connection.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline::shim {

class TokenBucket {
 public:
  void configure(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, std::int64_t now_ns) noexcept;
  // Takes `bytes` (may go negative = debt) and returns the wait in ns.
  std::int64_t reserve(std::int64_t now_ns, std::size_t bytes) noexcept;

 private:
  std::uint64_t rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  std::int64_t last_ns_ = 0;
};

}  // namespace faultline::shim
