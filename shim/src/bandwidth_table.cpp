#include "faultline/shim/bandwidth_table.h"

#include <algorithm>

#include "faultline/shim/fd_table.h"

namespace faultline::shim::bandwidth {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr std::uint64_t kNsPerS = 1'000'000'000;
// Durations are capped (about 146 years): adding one to a clock reading never overflows.
constexpr std::int64_t kMaxDurationNs = std::int64_t{1} << 62;

struct DescriptorBuckets {
  SharedBucket way[2];
};
// In BSS: pages of descriptors never paced cost nothing.
constinit DescriptorBuckets g_buckets[FdTable::kCapacity]{};

SharedBucket* bucket_of(int fd, Way way) noexcept {
  if (fd < 0 || fd >= FdTable::kCapacity) return nullptr;
  return &g_buckets[fd].way[static_cast<int>(way)];
}

}  // namespace

std::uint64_t burst_bytes(std::uint64_t rate) noexcept {
  const u128 window = static_cast<u128>(rate) * kBurstWindowNs / kNsPerS;
  return std::max<std::uint64_t>(kMinBurstBytes, static_cast<std::uint64_t>(window));
}

std::size_t quantum(std::uint64_t rate) noexcept {
  const u128 window = static_cast<u128>(rate) * kQuantumWindowNs / kNsPerS;
  const u128 q = std::max<u128>(window, burst_bytes(rate));
  return static_cast<std::size_t>(std::min<u128>(q, kMaxQuantumBytes));
}

std::int64_t duration_ns(std::uint64_t bytes, std::uint64_t rate) noexcept {
  if (rate == 0) return 0;
  const u128 ns = (static_cast<u128>(bytes) * kNsPerS + rate - 1) / rate;
  return ns >= static_cast<u128>(kMaxDurationNs) ? kMaxDurationNs : static_cast<std::int64_t>(ns);
}

std::int64_t SharedBucket::reserve(std::uint64_t rate, std::uint64_t generation, std::int64_t now_ns,
                                   std::size_t bytes) noexcept {
  if (rate == 0) return 0;
  const std::int64_t burst_ns = duration_ns(burst_bytes(rate), rate);
  const std::int64_t full = now_ns - burst_ns;  // empty instant of a full bucket
  std::uint64_t seen = generation_.load(std::memory_order_acquire);
  if (seen != generation || rate_.load(std::memory_order_relaxed) != rate) {
    // A new arming (or a recycled descriptor): whoever claims it stores a full bucket.
    if (generation_.compare_exchange_strong(seen, generation, std::memory_order_acq_rel)) {
      rate_.store(rate, std::memory_order_relaxed);
      empty_ns_.store(full, std::memory_order_release);
    } else if (seen == generation) {
      rate_.store(rate, std::memory_order_relaxed);
    }
  }
  const std::int64_t cost = duration_ns(bytes, rate);
  std::int64_t empty = empty_ns_.load(std::memory_order_acquire);
  std::int64_t next;
  do {
    // Tokens above the burst are lost: the empty instant is never before `full`.
    const std::int64_t from = std::max(empty, full);
    next = from - now_ns > kMaxDurationNs - cost ? now_ns + kMaxDurationNs : from + cost;
  } while (!empty_ns_.compare_exchange_weak(empty, next, std::memory_order_acq_rel));
  return next > now_ns ? next - now_ns : 0;
}

void SharedBucket::refund(std::uint64_t rate, std::uint64_t generation, std::size_t bytes) noexcept {
  if (rate == 0 || bytes == 0 || generation_.load(std::memory_order_acquire) != generation) return;
  empty_ns_.fetch_sub(duration_ns(bytes, rate), std::memory_order_acq_rel);
}

void SharedBucket::reset() noexcept {
  generation_.store(0, std::memory_order_release);
}

std::int64_t reserve(int fd, Way way, std::uint64_t rate, std::uint64_t generation, std::int64_t now_ns,
                     std::size_t bytes) noexcept {
  SharedBucket* b = bucket_of(fd, way);
  return b != nullptr ? b->reserve(rate, generation, now_ns, bytes) : 0;
}

void refund(int fd, Way way, std::uint64_t rate, std::uint64_t generation, std::size_t bytes) noexcept {
  if (SharedBucket* b = bucket_of(fd, way)) b->refund(rate, generation, bytes);
}

void forget(int fd) noexcept {
  if (fd < 0 || fd >= FdTable::kCapacity) return;
  for (SharedBucket& b : g_buckets[fd].way) b.reset();
}

}  // namespace faultline::shim::bandwidth
