// The engine's face to the wrappers: the mode word every wrapper reads, the
// decision for one intercepted call, and the per-thread guard that keeps the
// shim from intercepting itself.
//
// Idle path (docs/architecture.md): a wrapper reads g_mode with a relaxed
// load and, when it is 0, calls the real function and nothing else. Only
// when a bit is set does it look the socket up (FdTable) and ask decide().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/matcher.h"

namespace faultline::cp {
class Segment;
}

namespace faultline::shim {

inline constexpr std::uint32_t kModeArmed = 1u << 0;      // the published plan holds a fault
inline constexpr std::uint32_t kModeTelemetry = 1u << 1;  // record call telemetry
// Set once and for good by the preload when the host has a thread of its own
// (preload/src/direct_calls.h): an idle wrapper then calls libc's function
// instead of making the system call itself. Not a reason to leave the idle
// path: idle() ignores it.
inline constexpr std::uint32_t kModeLibcCalls = 1u << 4;
inline constexpr bool idle(std::uint32_t mode) noexcept {
  return (mode & ~kModeLibcCalls) == 0;
}

// Hidden: the wrappers load it PC-relative, not through the GOT.
extern constinit std::atomic<std::uint32_t> g_mode __attribute__((visibility("hidden")));

// Loss on a stream socket stalls this long when the fault gives no rto_ns.
inline constexpr std::int64_t kDefaultRtoNs = 200'000'000;

// The kind of intercepted call, as faults see it.
// kConnect is asked before the real connect (refuse, blackhole, errno,
// stall); kAccept after a real accept returned a connection (its peer set).
enum class Op : std::uint8_t { kConnect, kAccept, kSend, kRecv };

// What the faults that fired want done with one call. Several faults may
// fire on one call: delays add up, the longest stall or hold wins, a flag
// applies once, the smallest slice wins, the first errno wins.
struct Verdict {
  std::int64_t delay_ns = 0;  // latency: the message is due this much later (delay line or in-thread wait)
  std::int64_t stall_ns = 0;  // stream loss: retransmission stall, waited like delay_ns
  std::int64_t hold_ns = 0;   // stall: the calling thread is held this long before the call, always in-thread
  std::uint64_t rate_bytes_per_s = 0;  // bandwidth: pace this connection (per-descriptor token bucket)
  std::uint64_t rate_generation = 0;  // bandwidth: the arming whose bucket applies (a new arming starts full)
  std::uint64_t entropy = 0;          // corrupt: random bits choosing the byte and bit to flip
  std::int32_t err = 0;               // errno / refuse: the call fails with this errno, nothing is done
  std::uint32_t slice_max = 0;        // slice: a stream call moves at most this many bytes
  std::uint32_t reorder_gap = 0;      // reorder: this datagram goes after the next `gap` ones
  bool drop = false;                  // datagram lost: egress reported sent, ingress consumed
  bool blackhole = false;             // nothing delivered, nothing received, connects hang
  bool reset = false;                 // the connection is aborted with a real RST
  bool refuse = false;                // err is a refusal (accept: refuses the connection)
  bool corrupt = false;               // one bit of the datagram is flipped
  bool duplicate = false;             // the datagram is delivered twice
  std::uint32_t fired = 0;            // how many faults changed the call

  bool pass() const noexcept { return fired == 0; }
  std::int64_t wait_ns() const noexcept { return delay_ns + stall_ns; }
};

// Asks the published plan about one call on `socket` (its peer already set
// to the per-call address for datagrams). `len` is the bytes to send or the
// bytes received. Bumps the matched and hit counters of the faults involved,
// draws from their per-thread models and reports a fault's first fire as an
// event. Lock-free, allocation-free, no syscall. Pass when nothing is armed.
Verdict decide(Op op, abi::Direction dir, const SocketInfo& socket, std::size_t len) noexcept;

// Per-thread recursion guard (initial-exec TLS): while a thread is inside
// the shim, or is one of the shim's own threads, wrappers pass straight
// through.
class ShimScope {
 public:
  ShimScope() noexcept;
  ~ShimScope();
  ShimScope(const ShimScope&) = delete;
  ShimScope& operator=(const ShimScope&) = delete;
  // False when the thread was already inside: pass the call through.
  bool entered() const noexcept { return entered_; }

 private:
  bool entered_;
};

// Marks the calling thread as the shim's own (the apply thread): its calls
// are never faulted nor recorded.
void mark_shim_thread() noexcept;

// Where decide() counts and reports. The plan manager points them at the
// segment once it has one; until then (and in unit tests) counters go to a
// process-local array and events nowhere.
void set_event_sink(const cp::Segment* segment) noexcept;
const cp::Segment* event_sink() noexcept;              // null until attached
void set_fault_slots(abi::FaultSlot* slots) noexcept;  // null: the process-local array
abi::FaultSlot* fault_slots() noexcept;                // never null

}  // namespace faultline::shim
