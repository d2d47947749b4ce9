// The delay line's insides, shared by its API (delay_line.cpp), its queues
// (delay_queue.cpp) and its engine thread (delay_engine.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "faultline/shim/delay_line.h"
#include "faultline/shim/matcher.h"

namespace faultline::shim::delay::detail {

enum class EntryKind : std::uint8_t { kData, kEnd, kError, kShutdown };

struct Entry {
  std::int64_t due = 0;
  std::int64_t stamp = 0;  // queued (egress) or arrived (ingress)
  std::uint32_t off = 0;   // payload at bytes[off], then the address
  std::uint32_t len = 0;
  std::uint16_t addr_len = 0;
  EntryKind kind = EntryKind::kData;
  bool done = false;
  bool delayed = false;    // a fault delayed it (telemetry)
  std::int32_t err = 0;    // kError: the errno; kShutdown: how
  std::uint32_t hold = 0;  // reorder: datagrams still to overtake this one (0: not held)
};

// Entries in arrival order over a byte ring. Datagrams may complete out of
// order (jitter); the ring's space is reclaimed as the oldest complete.
class Queue {
 public:
  static constexpr std::uint32_t kEntries = 8192;
  static constexpr std::uint32_t kBytes = 2u << 20;

  // Space for one entry with `bytes` of payload and address; null when full
  // (or the storage cannot be mapped). The entry is live.
  Entry* push(std::uint32_t bytes) noexcept;
  // Gives back the last push (nothing was received into it), or its unused tail.
  void unpush() noexcept;
  void shrink_last(std::uint32_t bytes) noexcept;
  unsigned char* data(const Entry& e) noexcept { return bytes_ + e.off; }
  // Marks `e` complete and reclaims space.
  void complete(Entry& e) noexcept;
  void clear() noexcept;

  bool empty() const noexcept { return live_ == 0; }
  std::uint32_t live() const noexcept { return live_; }
  std::size_t payload() const noexcept { return payload_; }
  // The oldest live entry (streams deliver in this order); null if empty.
  Entry* oldest() noexcept;
  // The live entry due first (datagrams); null if empty.
  Entry* earliest() noexcept;
  // The live entry after `e` in arrival order, or null.
  Entry* next_after(const Entry* e) noexcept;
  // Reorder: a datagram with `due` was queued behind the held entries:
  // each counts it, and one whose gap is now complete is due right after it.
  void count_overtaking(std::int64_t due) noexcept;

  std::int64_t last_due = 0;  // streams: due times never decrease
  std::uint32_t partial = 0;  // bytes of oldest() already consumed (streams)
  std::size_t payload_ = 0;   // payload bytes of live entries
  std::uint32_t held = 0;     // live entries with hold > 0

 private:
  bool map() noexcept;
  Entry& at(std::uint32_t i) noexcept { return entries_[i % kEntries]; }

  Entry* entries_ = nullptr;
  unsigned char* bytes_ = nullptr;
  std::uint32_t head_ = 0, tail_ = 0;  // entry counters
  std::uint32_t rpos_ = 0, wpos_ = 0;  // byte positions
  std::uint32_t live_ = 0;
};

struct Line {
  std::mutex mu;
  std::condition_variable cv;  // data queued (receivers), room made (senders)
  int fd = -1;                 // the program's descriptor; -1 once closed
  int sock = -1;               // what the engine reads and writes (a duplicate after close)
  SocketInfo info{};
  Queue out, in;
  std::atomic<bool> in_managed{false};
  bool watching = false;  // the engine keeps a POLLIN on sock
  bool in_end = false;    // end of stream or error queued: nothing more to read
  int out_error = 0;      // a failed delayed write, for the next send
  bool closed = false;    // the program closed fd: flush, then close sock
  // Engine-only state.
  bool active = false;  // in the engine's list (guarded by the registry mutex)
  bool poll_in = false, poll_out = false, cancel_sent = false;
};

// Registry (delay_line.cpp).
Line* line_of(int fd) noexcept;
Line* line_create(int fd) noexcept;
void activate(Line* l) noexcept;  // l->mu held
void wake_engine() noexcept;
void wake_waiters(std::int64_t due) noexcept;
// The active lines, copied for one engine pass; returns how many.
int active_snapshot(Line** out, int cap) noexcept;
// Takes `l` out of the engine's list if it has nothing left to do; a closed
// line goes back to the free list. l->mu is not held.
void retire_if_idle(Line* l) noexcept;

// Drains the kernel into l->in (l->mu held); notifies receivers and waiters.
void drain(Line* l) noexcept;
// Writes l->out's due entries (l->mu held). Returns the next due time, or
// INT64_MAX; *blocked when the socket is full (wait for POLLOUT).
std::int64_t flush(Line* l, std::int64_t now, bool* blocked) noexcept;

// Engine (delay_engine.cpp).
bool engine_start() noexcept;
// 1 once the engine thread runs, else 0.
int engine_threads() noexcept;
void engine_reset_in_child() noexcept;
extern std::atomic<std::int64_t> g_engine_deadline;

extern std::atomic<std::uint64_t> g_queued, g_delivered, g_dropped;

}  // namespace faultline::shim::delay::detail
