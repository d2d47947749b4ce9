// The shared-memory ABI of faultline: the only definition of what lives in
// /dev/shm/faultline.<pid>. Everything here is plain fixed-width data with
// explicit padding, so a tool built separately from the target reads the same
// bytes. A reader checks `magic`, then `abi_version` (written last, with
// release, by the target) and `layout_hash`, and refuses anything else.
//
// Ownership of each region:
//   Header      written once by the target before abi_version is published;
//               heartbeat and doorbell are atomics shared with tools.
//   CommandRing many tools push (MPSC), the target's apply thread pops.
//   Ack[]       the apply thread writes a slot, then its seq with release,
//               then rings ack_bell; the tool that submitted seq sleeps on
//               ack_bell (futex) until its slot holds seq.
//   Event[]     target threads write (fetch_add on the head), tools read.
//   FaultSlot[] the apply thread publishes the armed faults; hot paths bump
//               hit counters.
//   Telemetry   hot paths of the target write (relaxed RMW), tools read.
// No lock is shared between processes: a tool killed at any instant leaves at
// worst a leaked ring node, never a stalled target.
#pragma once

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <boost/version.hpp>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace faultline::abi {

inline constexpr std::uint64_t kMagic = 0x31454e494c544c46ULL;  // "FLTLINE1"
inline constexpr std::uint32_t kAbiVersion = 2;
inline constexpr std::size_t kCacheLine = 64;

inline constexpr std::uint32_t kCommandRingCapacity = 64;
inline constexpr std::uint32_t kAckSlots = 128;
inline constexpr std::uint32_t kEventSlots = 1024;
inline constexpr std::uint32_t kMaxFaults = 32;
inline constexpr std::uint32_t kErrnoSlots = 136;

inline constexpr std::size_t kIdLen = 32;
inline constexpr std::size_t kProgramLen = 64;
inline constexpr std::size_t kLabelsLen = 256;
inline constexpr std::size_t kSqlLen = 160;
inline constexpr std::size_t kDbLen = 64;
inline constexpr std::size_t kHostGlobLen = 64;
inline constexpr std::size_t kSqlStateLen = 8;
inline constexpr std::size_t kMessageLen = 128;
inline constexpr std::size_t kReasonLen = 112;
inline constexpr std::size_t kEventDetailLen = 64;

// ---------------------------------------------------------------- enums --
// Stored as fixed-width integers in the structs below; the target validates
// every value it reads against these ranges.

enum class FaultKind : std::uint16_t {
  kNone = 0,
  kLatency,
  kLoss,
  kReset,
  kBlackhole,
  kRefuse,
  kBandwidth,
  kSlice,
  kCorrupt,
  kDuplicate,
  kReorder,
  kErrno,
  kDns,
  kStall,
  kPqSever,
  kPqSlow,
  kPqError,
  kPqRefuse,
  kCount
};

enum class Proto : std::uint8_t { kAny = 0, kTcp, kUdp, kUnix, kCount };
enum class Direction : std::uint8_t { kBoth = 0, kEgress, kIngress, kCount };
enum class Distribution : std::uint8_t { kUniform = 0, kNormal, kPareto, kParetoNormal, kCount };
enum class LossModel : std::uint8_t { kBernoulli = 0, kCorrelated, kGilbertElliott, kCount };

enum class CommandOp : std::uint16_t {
  kInject = 1,  // arm `fault`
  kClear,       // disarm the fault whose id is `target_id`
  kClearAll,    // disarm everything
  kRenewLease,  // push the lease deadline of `target_id` (or all leased, if empty) by lease_ns
  kTelemetry,   // flags bit 0: recording on (1) or off (0)
  kCount
};

enum class AckStatus : std::uint32_t { kPending = 0, kApplied, kRejected };

enum class EventType : std::uint16_t {
  kNone = 0,
  kFaultArmed,
  kFaultFired,    // first hit of a fault, then sampled (see Event::count)
  kFaultExpired,  // ttl, lease or max-hits ran out
  kFaultCleared,
  kCommandRejected,
  kInternalError,  // the shim passed a call through because of its own failure
  kCount
};

// Telemetry classes: one histogram and one counter block per class.
enum class CallClass : std::uint16_t {
  kTcpConnect = 0,
  kTcpAccept,
  kTcpSend,
  kTcpRecv,
  kUdpSend,
  kUdpRecv,
  kUnixSend,
  kUnixRecv,
  kOtherIo,  // read/write on a socket whose kind is unknown
  kDns,
  kPqConnect,
  kPqQuery,
  kPqRoundTrip,
  kInjectedDelay,  // the delay the shim actually added (for accuracy checks)
  kReserved0,
  kReserved1,
  kCount
};
inline constexpr std::uint32_t kCallClasses = static_cast<std::uint32_t>(CallClass::kCount);

// ------------------------------------------------------------ commands --

// What a fault matches. Zero means "any" for every field.
struct Match {
  std::uint8_t family;      // 0 any, 4 IPv4, 6 IPv6 (of `addr`)
  std::uint8_t prefix_len;  // CIDR prefix of `addr`
  std::uint8_t proto;       // Proto
  std::uint8_t dir;         // Direction
  std::uint16_t dst_port;   // host order; 0 any
  std::uint16_t src_port;   // host order; 0 any (the local port)
  std::uint8_t addr[16];    // network order; IPv4 in the first 4 bytes
  char sql_regex[kSqlLen];  // libpq: ECMAScript regex on the statement; "" any
  char db[kDbLen];          // libpq: database name; "" any
};
static_assert(sizeof(Match) == 248);
static_assert(std::is_trivially_copyable_v<Match>);

// One fault, every kind's parameters side by side (unused ones are zero).
// Probabilities are parts per million so that no float crosses the ABI.
struct FaultSpec {
  char id[kIdLen];                 // NUL-terminated, unique within a target
  std::uint16_t kind;              // FaultKind
  std::uint8_t distribution;       // Distribution (latency)
  std::uint8_t loss_model;         // LossModel (loss)
  std::uint32_t pct_ppm;           // chance a matching call is affected; 1'000'000 = always
  std::uint64_t max_hits;          // 0 = unlimited
  std::int64_t after_ns;           // start delay from arming
  std::int64_t for_ns;             // time to live from start; > 0 (the CLI applies a default)
  std::int64_t lease_ns;           // 0 = no lease; else expires unless renewed within lease_ns
  std::uint64_t seed;              // 0 = derived from the clock (the ack reports none)
  std::int64_t delay_ns;           // latency, pq-slow, dns, stall
  std::int64_t jitter_ns;          // latency
  std::uint32_t correlation_ppm;   // latency, loss (correlated)
  std::uint32_t loss_ppm;          // loss
  std::uint32_t ge_p_ppm;          // Gilbert-Elliott: good->bad
  std::uint32_t ge_r_ppm;          //                  bad->good
  std::uint32_t ge_1h_ppm;         //                  loss in bad state (1-h)
  std::uint32_t ge_1k_ppm;         //                  loss in good state (1-k)
  std::int64_t rto_ns;             // TCP loss: retransmission stall
  std::uint64_t rate_bytes_per_s;  // bandwidth
  std::uint32_t slice_max;         // slice: max bytes per call
  std::uint32_t gap;               // reorder
  std::int32_t err;                // errno, refuse
  std::uint32_t dns_fail;          // dns: 1 = fail with EAI_AGAIN
  char host_glob[kHostGlobLen];    // dns
  char sqlstate[kSqlStateLen];     // pq-error
  char message[kMessageLen];       // pq-error
  Match match;
};
static_assert(sizeof(FaultSpec) == 600);
static_assert(offsetof(FaultSpec, match) == 352);
static_assert(std::is_trivially_copyable_v<FaultSpec>);

struct Command {
  std::uint64_t seq;  // from Header::next_seq; names the Ack slot
  std::uint16_t op;   // CommandOp
  std::uint16_t flags;
  std::uint32_t reserved;
  std::int64_t submit_mono_ns;  // CLOCK_MONOTONIC at push, for command-to-effect
  std::int64_t lease_ns;        // kRenewLease
  char target_id[kIdLen];       // kClear, kRenewLease
  FaultSpec fault;              // kInject
};
static_assert(sizeof(Command) == 664);
static_assert(std::is_trivially_copyable_v<Command>);
static_assert(std::is_trivially_destructible_v<Command>);

// The MPSC command ring. Boost.Lockfree's queue with a compile-time capacity
// keeps its nodes inline and links them by 16-bit index, never by pointer,
// so it works at a different address in every process that maps it. Its
// layout depends on Boost's version and the build, hence layout_hash.
using CommandRing = boost::lockfree::queue<Command, boost::lockfree::capacity<kCommandRingCapacity>>;

struct alignas(kCacheLine) Ack {
  std::atomic<std::uint64_t> seq;  // written last, with release
  std::uint32_t status;            // AckStatus
  std::int32_t fault_slot;         // kInject: slot armed, else -1
  std::int64_t applied_mono_ns;    // when the new plan was published
  std::int64_t apply_ns;           // submit -> published
  char reason[kReasonLen];         // kRejected: why, NUL-terminated
};
static_assert(sizeof(Ack) == 192);

struct alignas(kCacheLine) Event {
  std::atomic<std::uint64_t> seq;  // index + 1 once the slot is complete (release)
  std::int64_t mono_ns;
  std::int64_t wall_ns;
  std::uint16_t type;       // EventType
  std::int16_t fault_slot;  // -1 if none
  std::int32_t err;         // errno, where relevant
  std::uint64_t count;      // hits so far, for kFaultFired
  char fault_id[kIdLen];
  char detail[kEventDetailLen];
};
static_assert(sizeof(Event) == 192);

// The armed faults as the target sees them, for `ps` and `stats`. The apply
// thread bumps `generation` to odd before changing a slot and to even after
// (a seqlock: readers retry while odd or changed).
struct alignas(kCacheLine) FaultSlot {
  std::atomic<std::uint32_t> generation;
  std::uint32_t active;  // 1 armed, 0 free
  std::int64_t armed_mono_ns;
  std::int64_t starts_mono_ns;
  std::int64_t expires_mono_ns;        // ttl or lease, whichever is first
  std::uint64_t seed;                  // the seed in use (reported when derived)
  std::atomic<std::uint64_t> hits;     // times the fault changed a call
  std::atomic<std::uint64_t> matched;  // times it matched (before --pct)
  std::uint8_t pad[8];
  FaultSpec spec;
};
static_assert(sizeof(FaultSlot) == 704);

// ----------------------------------------------------------- telemetry --

// Log-linear histogram of nanoseconds (HdrHistogram's bucketing): values
// below 2*kHistSub fall in unit buckets; above, each power of two is split
// in kHistSub linear sub-buckets, so the relative error is at most
// 1/kHistSub (3.1%). Values at or above 2^kHistMaxLog2 land in the last.
inline constexpr std::uint32_t kHistSubBits = 5;
inline constexpr std::uint32_t kHistSub = 1u << kHistSubBits;  // 32
inline constexpr std::uint32_t kHistMaxLog2 = 40;              // ~18 minutes
inline constexpr std::uint32_t kHistBuckets = (kHistMaxLog2 - kHistSubBits) * kHistSub + kHistSub;

constexpr std::uint32_t hist_bucket(std::uint64_t v) noexcept {
  if (v < 2 * kHistSub) return static_cast<std::uint32_t>(v);
  const std::uint32_t msb = 63u - static_cast<std::uint32_t>(__builtin_clzll(v));
  if (msb >= kHistMaxLog2) return kHistBuckets - 1;
  const std::uint32_t shift = msb - kHistSubBits;
  return (shift + 1) * kHistSub + static_cast<std::uint32_t>((v >> shift) - kHistSub);
}
// Smallest value that falls in bucket b (the reader reports bucket bounds).
constexpr std::uint64_t hist_bucket_low(std::uint32_t b) noexcept {
  if (b < 2 * kHistSub) return b;
  const std::uint32_t shift = b / kHistSub - 1;
  return (static_cast<std::uint64_t>(b % kHistSub) + kHistSub) << shift;
}
static_assert(hist_bucket(63) == 63 && hist_bucket(64) == 64 && hist_bucket(65) == 64);
static_assert(hist_bucket_low(hist_bucket(1000)) <= 1000);
static_assert(hist_bucket(hist_bucket_low(500)) == 500 && hist_bucket(hist_bucket_low(501) - 1) == 500);
static_assert(hist_bucket((1ULL << kHistMaxLog2) - 1) == kHistBuckets - 1);

struct alignas(kCacheLine) ClassCounters {
  std::atomic<std::uint64_t> calls;
  std::atomic<std::uint64_t> bytes;
  std::atomic<std::uint64_t> errors;
  std::atomic<std::uint64_t> faulted;  // calls a fault changed
  std::atomic<std::uint64_t> sum_ns;   // for the mean
  std::atomic<std::uint64_t> max_ns;
  std::uint8_t pad[16];
};
static_assert(sizeof(ClassCounters) == 64);

struct alignas(kCacheLine) Histogram {
  std::atomic<std::uint64_t> buckets[kHistBuckets];
};
static_assert(sizeof(Histogram) == kHistBuckets * 8);

struct alignas(kCacheLine) Telemetry {
  std::atomic<std::uint32_t> enabled;  // mirrors the target's recording switch
  std::uint32_t pad0;
  std::atomic<std::uint64_t> internal_errors;  // calls passed through on shim failure
  std::atomic<std::uint64_t> commands_applied;
  std::atomic<std::uint64_t> commands_rejected;
  std::uint8_t pad1[32];
  ClassCounters counters[kCallClasses];
  std::atomic<std::uint64_t> errno_counts[kErrnoSlots];  // index = errno (last = other)
  Histogram histograms[kCallClasses];
};

// ------------------------------------------------------------- header --

struct alignas(kCacheLine) Header {
  // -- identity, written once before abi_version --
  std::uint64_t magic;
  std::atomic<std::uint32_t> abi_version;  // written last, with release
  std::uint32_t header_size;
  std::uint64_t layout_hash;
  std::uint64_t segment_size;
  std::int32_t pid;
  std::uint32_t uid;
  std::int64_t start_mono_ns;
  std::int64_t start_wall_ns;  // CLOCK_REALTIME
  char program[kProgramLen];
  char labels[kLabelsLen];  // "k=v,k=v" from FAULTLINE_LABELS
  // -- region offsets from the segment start --
  std::uint64_t ring_offset;
  std::uint64_t acks_offset;
  std::uint64_t events_offset;
  std::uint64_t faults_offset;
  std::uint64_t telemetry_offset;
  std::uint8_t pad0[8];
  // -- live words, each on its own line --
  alignas(kCacheLine) std::atomic<std::uint32_t> doorbell;  // futex: tools bump and wake
  std::atomic<std::uint32_t> apply_thread_alive;
  // futex: the apply thread bumps it after writing acks and wakes the tools
  // sleeping on it (ack_sleepers counts them, so an ack costs no syscall
  // when nobody sleeps).
  std::atomic<std::uint32_t> ack_bell;
  std::atomic<std::uint32_t> ack_sleepers;
  // The emergency path: a tool stores 1 and rings the doorbell (a store and
  // a futex wake: async-signal-safe, no ring slot needed); the apply thread
  // disarms every fault before it reads the ring, even a full or corrupt one.
  std::atomic<std::uint32_t> emergency_clear;
  alignas(kCacheLine) std::atomic<std::int64_t> heartbeat_mono_ns;
  alignas(kCacheLine) std::atomic<std::uint64_t> next_seq;    // tools fetch_add for Command::seq
  alignas(kCacheLine) std::atomic<std::uint64_t> event_head;  // next Event index
};
static_assert(offsetof(Header, abi_version) == 8);
static_assert(offsetof(Header, program) == 56);
static_assert(offsetof(Header, labels) == 120);
static_assert(offsetof(Header, ring_offset) == 376);
static_assert(offsetof(Header, doorbell) == 448);
static_assert(offsetof(Header, ack_bell) == 456);
static_assert(offsetof(Header, emergency_clear) == 464);
static_assert(offsetof(Header, heartbeat_mono_ns) == 512);
static_assert(offsetof(Header, next_seq) == 576);
static_assert(offsetof(Header, event_head) == 640);
static_assert(sizeof(Header) == 704);

// Regions in order, each aligned to a page so the ring and the telemetry
// never share a line with the header.
inline constexpr std::size_t kPage = 4096;
constexpr std::size_t align_page(std::size_t n) noexcept {
  return (n + kPage - 1) & ~(kPage - 1);
}

struct Layout {
  std::size_t ring, acks, events, faults, telemetry, total;
};
constexpr Layout layout() noexcept {
  Layout l{};
  l.ring = align_page(sizeof(Header));
  l.acks = l.ring + align_page(sizeof(CommandRing));
  l.events = l.acks + align_page(sizeof(Ack) * kAckSlots);
  l.faults = l.events + align_page(sizeof(Event) * kEventSlots);
  l.telemetry = l.faults + align_page(sizeof(FaultSlot) * kMaxFaults);
  l.total = l.telemetry + align_page(sizeof(Telemetry));
  return l;
}
inline constexpr std::size_t kSegmentSize = layout().total;
static_assert(kSegmentSize <= 4u * 1024 * 1024, "SPEC: segment <= 4 MiB");

// Hash of everything whose layout a reader depends on, including the
// Boost.Lockfree ring, whose size and alignment vary with Boost and the
// compiler. FNV-1a over the sizes, offsets and versions.
constexpr std::uint64_t fnv1a(std::uint64_t h, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (i * 8)) & 0xffu;
    h *= 0x100000001b3ULL;
  }
  return h;
}
constexpr std::uint64_t compute_layout_hash() noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const std::uint64_t parts[] = {
      kAbiVersion,          sizeof(Header), sizeof(Command), sizeof(FaultSpec), sizeof(CommandRing),
      alignof(CommandRing), sizeof(Ack),    sizeof(Event),   sizeof(FaultSlot), sizeof(Telemetry),
      kCommandRingCapacity, kAckSlots,      kEventSlots,     kMaxFaults,        kHistBuckets,
      kCallClasses,         BOOST_VERSION,  kSegmentSize};
  for (std::uint64_t p : parts) h = fnv1a(h, p);
  return h;
}
inline constexpr std::uint64_t kLayoutHash = compute_layout_hash();

// Name of a target's segment under /dev/shm (shm_open name: with the slash).
inline constexpr const char* kSegmentPrefix = "/faultline.";

}  // namespace faultline::abi
