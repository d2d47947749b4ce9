#include "faultline/shim/token_bucket.h"

namespace faultline::shim {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr std::uint64_t kNsPerS = 1'000'000'000;
// Durations are capped (about 146 years) so that adding them to a clock
// reading never overflows.
constexpr std::uint64_t kMaxDurationNs = std::uint64_t{1} << 62;

// bytes * 1e9 / rate as whole ns + remainder (in units of 1/rate ns).
void bytes_to_duration(std::uint64_t bytes, std::uint64_t rate, std::int64_t* ns,
                       std::uint64_t* rem) noexcept {
  const u128 scaled = static_cast<u128>(bytes) * kNsPerS;
  const u128 whole = scaled / rate;
  if (whole >= kMaxDurationNs) {
    *ns = static_cast<std::int64_t>(kMaxDurationNs);
    *rem = 0;
    return;
  }
  *ns = static_cast<std::int64_t>(whole);
  *rem = static_cast<std::uint64_t>(scaled % rate);
}

}  // namespace

void TokenBucket::configure(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes,
                            std::int64_t now_ns) noexcept {
  rate_ = rate_bytes_per_s;
  if (rate_ == 0) return;
  bytes_to_duration(burst_bytes, rate_, &burst_ns_, &burst_rem_);
  // Full bucket: empty = now - burst.
  empty_ns_ = now_ns - burst_ns_;
  empty_rem_ = 0;
  if (burst_rem_ != 0) {
    empty_ns_ -= 1;
    empty_rem_ = rate_ - burst_rem_;
  }
}

std::int64_t TokenBucket::reserve(std::int64_t now_ns, std::size_t bytes) noexcept {
  if (rate_ == 0) return 0;
  // Tokens above the burst are lost: empty >= now - burst.
  std::int64_t floor_ns = now_ns - burst_ns_;
  std::uint64_t floor_rem = 0;
  if (burst_rem_ != 0) {
    floor_ns -= 1;
    floor_rem = rate_ - burst_rem_;
  }
  if (empty_ns_ < floor_ns || (empty_ns_ == floor_ns && empty_rem_ < floor_rem)) {
    empty_ns_ = floor_ns;
    empty_rem_ = floor_rem;
  }
  // Taking the bytes moves the empty instant later by their duration.
  std::int64_t cost_ns = 0;
  std::uint64_t cost_rem = 0;
  bytes_to_duration(bytes, rate_, &cost_ns, &cost_rem);
  const std::int64_t ahead_ns = empty_ns_ - now_ns;  // <= kMaxDurationNs by construction
  if (ahead_ns > static_cast<std::int64_t>(kMaxDurationNs) - cost_ns) {
    // Debt beyond a century: saturate rather than overflow.
    empty_ns_ = now_ns + static_cast<std::int64_t>(kMaxDurationNs);
    empty_rem_ = 0;
    return static_cast<std::int64_t>(kMaxDurationNs);
  }
  empty_ns_ += cost_ns;
  // Both remainders are < rate_; an unsigned wrap of the sum is the carry too.
  empty_rem_ += cost_rem;
  if (empty_rem_ >= rate_ || empty_rem_ < cost_rem) {
    empty_rem_ -= rate_;
    empty_ns_ += 1;
  }
  // The debt is paid once now reaches the empty instant.
  if (empty_ns_ > now_ns) return empty_ns_ - now_ns + (empty_rem_ != 0 ? 1 : 0);
  if (empty_ns_ == now_ns && empty_rem_ != 0) return 1;
  return 0;
}

}  // namespace faultline::shim
