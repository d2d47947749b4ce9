// The delay line: delayed socket data held per descriptor, so a latency
// fault pipelines like a real network (a message sent or received at t is
// delivered at t + d) instead of stalling the calling thread.
//
//   egress   a delayed send is copied into the descriptor's queue with its due
//            time and reported sent; the engine thread writes it when due.
//            A full queue (kEgressLimitBytes, like SO_SNDBUF) gives EAGAIN
//            to a non-blocking sender and waits a blocking one.
//   ingress  once an ingress latency fault can apply to a descriptor, the
//            engine watches it (io_uring poll) and drains the kernel as data
//            arrives, stamping the arrival time; a receive returns only due
//            data (EAGAIN / a precise wait until the next due time), and the
//            readiness wrappers ask readable() instead of the kernel.
//   order    a stream's due times never decrease; datagrams may overtake one
//            another under jitter (a real network reorders them too), and
//            a reorder fault holds a datagram until `gap` later ones passed.
//   data     on held ingress the other data faults are decided at arrival
//            too: bandwidth paces the due times, corrupt flips the bit in
//            the held copy, duplicate queues a second copy, reorder holds.
//            Undelayed messages on a descriptor with queued data queue behind
//            it, so clearing a fault never reorders or loses anything.
//   close    queued egress is still written (the kernel also sends a closed
//            socket's send buffer): the engine keeps a duplicate of the
//            socket until its queue is flushed. Queued ingress is discarded.
//
// Everything here runs only on the armed path of a descriptor a fault
// concerns. A line's storage is mapped once per descriptor number and reused
// (no allocation per message); one mutex per line orders the application's
// threads against the engine. When io_uring is unavailable available() is
// false and callers keep the in-thread wait.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "faultline/shim/matcher.h"

namespace faultline::shim::delay {

inline constexpr std::size_t kEgressLimitBytes = 256 * 1024;  // per descriptor, like a default SO_SNDBUF
inline constexpr std::size_t kIngressLimitBytes = 1 << 20;    // beyond, the kernel's own buffer holds
// Reorder: a held datagram goes after the next `gap` datagrams of its
// descriptor, or this long after it was due when fewer come.
inline constexpr std::int64_t kReorderHoldNs = 20'000'000;

// g_mode bit set while any line holds data or watches a descriptor: the
// wrappers stay on their armed path (and deliver it) even with no fault.
inline constexpr std::uint32_t kModeDelayLine = 1u << 2;

// The kinds of fault whose ingress the line holds (could_delay): latency,
// and bandwidth and reorder, which pace or hold data from its arrival.
constexpr bool held_kind(std::uint16_t kind) noexcept {
  return kind == static_cast<std::uint16_t>(abi::FaultKind::kLatency) ||
         kind == static_cast<std::uint16_t>(abi::FaultKind::kBandwidth) ||
         kind == static_cast<std::uint16_t>(abi::FaultKind::kReorder);
}

// Starts the engine on first use. False if it cannot run (no io_uring).
bool available() noexcept;

// Whether a published fault of a held_kind() could delay `dir` traffic of
// `socket` (any peer, for an unconnected datagram socket).
bool could_delay(abi::Direction dir, const SocketInfo& socket) noexcept;

// ---- egress ----
struct Outgoing {
  const iovec* iov = nullptr;
  int iovcnt = 0;
  const sockaddr* addr = nullptr;  // sendto / sendmsg destination, if any
  socklen_t addr_len = 0;
  // The instant delay_ns counts from (0: when queued). Bandwidth pacing sets
  // it to its reservation, so a sender that waited for room in the queue
  // does not push its due time, and the rate, back by that wait.
  std::int64_t from_ns = 0;
};
// True if `fd` has egress data queued: its sends must join the queue.
bool egress_pending(int fd) noexcept;
// Queues `msg` to be written `delay_ns` from now (0: behind what is queued).
// `reorder_gap` (datagrams): the message is held until `reorder_gap` later
// datagrams of `fd` have been queued, and written right after the last of
// them (or kReorderHoldNs after its due time if they do not come).
// Returns the bytes accepted, -1 with errno (EAGAIN when full and
// non-blocking, EMSGSIZE, a pending asynchronous error), or -2 when the line
// cannot take it (the caller falls back to the in-thread wait).
ssize_t send(int fd, const SocketInfo& socket, const Outgoing& msg, std::int64_t delay_ns, bool nonblocking,
             std::uint32_t reorder_gap = 0) noexcept;

// ---- ingress ----
// True while receives on `fd` are served from its line.
bool ingress_managed(int fd) noexcept;
// Starts holding `fd`'s ingress (drains what the kernel has now). False when
// it cannot (no engine, descriptor out of range).
bool manage_ingress(int fd, const SocketInfo& socket) noexcept;

struct Incoming {
  const iovec* iov = nullptr;
  int iovcnt = 0;
  sockaddr* addr = nullptr;  // the datagram's source, if wanted
  socklen_t* addr_len = nullptr;
  int flags = 0;       // MSG_PEEK, MSG_TRUNC, MSG_WAITALL are honoured
  int* msg_flags = 0;  // MSG_TRUNC reported here (recvmsg), if not null
};
// One receive from the line: bytes, 0 at end of stream, -1 with errno, or
// -2 when `fd` is not managed (receive from the kernel).
ssize_t receive(int fd, const Incoming& in, bool nonblocking) noexcept;

// ---- readiness ----
// Whether `fd` (managed) has due data or a due end/error at `now`; else,
// when it holds data, its next due time in *next_due (unchanged otherwise).
// Drains what the kernel holds first, so readiness the kernel reported is
// turned into queued data. False for a descriptor that is not managed.
bool readable(int fd, std::int64_t now, std::int64_t* next_due) noexcept;
// Any descriptor managed for ingress (readiness wrappers pass through if not).
bool any_ingress() noexcept;
// Writable: the egress queue has room (meaningful only when managed).
bool writable(int fd) noexcept;  // true unless the egress queue is full

// A thread about to wait in poll/epoll for managed descriptors registers an
// eventfd (one per thread) that the engine signals when new data is queued
// with a due time before `deadline` (INT64_MAX: none). Returns the eventfd,
// or -1. end_wait() unregisters and resets it.
int begin_wait(std::int64_t deadline) noexcept;
void end_wait() noexcept;

// ---- descriptor life ----
// Before the real close: queued egress is handed to a duplicate the engine
// flushes and closes; queued ingress is discarded; the descriptor's
// bandwidth buckets are forgotten.
void on_close(int fd) noexcept;
// Before the real shutdown: SHUT_RD discards queued ingress. True when the
// shutdown (with SHUT_WR) was queued behind pending egress instead: the
// engine performs it after the queued data, and the caller returns 0.
bool shutdown_deferred(int fd, int how) noexcept;
// Fork child: the engine thread did not survive; no lines, pass-through.
void reset_in_child() noexcept;
// Threads the delay line runs in this process: 1 once its engine started.
int threads() noexcept;

// Engine statistics for tests and benchmarks.
struct Stats {
  std::uint64_t queued = 0, delivered = 0, dropped = 0;
};
Stats stats() noexcept;

}  // namespace faultline::shim::delay
