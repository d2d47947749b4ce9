// The bandwidth fault's token buckets: one per descriptor and direction,
// shared by every thread that sends or receives on it, lock-free.
//
// A bucket is one atomic word, the instant it runs dry ("empty instant",
// CLOCK_MONOTONIC ns), the same state as TokenBucket keeps but in whole ns
// so that one compare-and-swap updates it: tokens(t) = min(burst, (t -
// empty) * rate). Taking `bytes` moves the empty instant later by their
// duration, rounded up to the ns (at most 1 ns per call slower than the
// rate: 0.0001% for a 1 KB message at 1 GB/s), and the caller waits until
// the empty instant has passed. A second word holds the arming
// (Verdict::rate_generation) the bucket belongs to: a new arming, or a
// changed rate, starts full. A thread that sees a stale generation
// claims the bucket with a CAS on it and stores a full bucket; a reservation
// racing that claim may be computed against the old instant for that one
// call (it cannot corrupt the word: the last store wins and the next call
// reads it).
//
// Burst: max(kMinBurstBytes, 1 ms of rate): one Ethernet MTU, or enough for
// a millisecond of traffic at high rates so that per-call overheads do not
// throttle below the rate. Streams are cut into messages of at most
// quantum() bytes (short writes/reads) so that pacing is smooth: a 1 MB
// send at 1 MB/s goes out over a second instead of in one burst after it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace faultline::shim::bandwidth {

inline constexpr std::uint64_t kMinBurstBytes = 1500;         // an Ethernet MTU
inline constexpr std::int64_t kBurstWindowNs = 1'000'000;     // 1 ms of rate
inline constexpr std::size_t kMaxQuantumBytes = 64 * 1024;    // at most a quarter of the delay line's queue
inline constexpr std::int64_t kQuantumWindowNs = 10'000'000;  // 10 ms of rate per stream message

enum class Way : std::uint8_t { kEgress = 0, kIngress = 1 };

// Burst of a bucket at `rate` bytes/s.
std::uint64_t burst_bytes(std::uint64_t rate) noexcept;
// Largest stream message at `rate`: 10 ms of rate, at least the burst, at
// most kMaxQuantumBytes.
std::size_t quantum(std::uint64_t rate) noexcept;
// Duration of `bytes` at `rate`, rounded up to the ns (saturates at ~146 y).
std::int64_t duration_ns(std::uint64_t bytes, std::uint64_t rate) noexcept;

// One bucket (lock-free; usable on its own for tests).
class SharedBucket {
 public:
  // Takes `bytes` at `now_ns` from the bucket of arming `generation` at
  // `rate` (0: unlimited). Returns how long the caller waits before its
  // bytes may go (0 = now).
  std::int64_t reserve(std::uint64_t rate, std::uint64_t generation, std::int64_t now_ns,
                       std::size_t bytes) noexcept;
  // Gives back `bytes` taken by reserve() that did not go (a short write,
  // EAGAIN): the empty instant moves earlier by their duration.
  void refund(std::uint64_t rate, std::uint64_t generation, std::size_t bytes) noexcept;
  // Forgets the arming: the next reservation starts full.
  void reset() noexcept;

 private:
  std::atomic<std::uint64_t> generation_{0};  // the arming this bucket paces (0: none yet)
  std::atomic<std::uint64_t> rate_{0};        // its rate, a changed rate starts full too
  std::atomic<std::int64_t> empty_ns_{0};     // the instant the bucket runs dry
};

// The per-descriptor buckets. Descriptors beyond the table are not paced.
std::int64_t reserve(int fd, Way way, std::uint64_t rate, std::uint64_t generation, std::int64_t now_ns,
                     std::size_t bytes) noexcept;
void refund(int fd, Way way, std::uint64_t rate, std::uint64_t generation, std::size_t bytes) noexcept;
// The descriptor closed: its buckets start full for the next connection.
void forget(int fd) noexcept;

}  // namespace faultline::shim::bandwidth
