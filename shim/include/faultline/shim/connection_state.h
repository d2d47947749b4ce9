// What connection faults leave behind on a descriptor, after the call that
// fired them returned: a connection `reset` aborted (later calls report
// ECONNRESET / EPIPE until it is closed), a connect a `blackhole` holds
// (never writable while the fault lasts), or an injected errno owed to the
// next receive of a stream (the bytes of the call that drew it were already
// returned: failing that call would have lost them).
//
// Marks live in a static array indexed by descriptor (one byte each, BSS);
// descriptors beyond kCapacity are never marked. While any mark exists the
// kModeConnections bit of g_mode keeps the wrappers on their armed path, so
// a marked descriptor answers as marked even after its fault was cleared.
// Marking and unmarking (rare: a fault fired, a marked descriptor closed)
// take a mutex; reading a mark is one relaxed load.
#pragma once

#include <sys/socket.h>

#include <cstdint>

namespace faultline::shim::conn {

// g_mode bit: some descriptor carries a mark.
inline constexpr std::uint32_t kModeConnections = 1u << 3;

inline constexpr int kCapacity = 65536;

enum class Mark : std::uint8_t {
  kNone = 0,
  kReset = 1,         // the connection was aborted with an RST
  kHeldConnect = 2,   // a non-blocking connect a blackhole holds (not started in the kernel)
  kPendingErrno = 3,  // the next receive fails with pending_errno()
};

// The mark of `fd` (kNone when nothing is marked anywhere: one load).
Mark mark(int fd) noexcept;
// Marks `fd` (replacing any mark). False if `fd` is out of range or, for
// kHeldConnect, the table of held connects is full.
bool set_reset(int fd) noexcept;
bool set_pending_errno(int fd, int err) noexcept;
bool set_held_connect(int fd, const sockaddr* addr, socklen_t len) noexcept;
// The errno owed by a kPendingErrno descriptor, and the mark dropped. 0 if none.
int take_pending_errno(int fd) noexcept;
// Drops the mark of `fd` (closed, replaced by dup2/dup3, or its held connect started).
void clear(int fd) noexcept;
// Whether any descriptor holds a connect (the readiness wrappers hide them).
bool any_held_connect() noexcept;

// The address a held connect was aimed at; false when `fd` holds none.
bool held_address(int fd, sockaddr_storage* addr, socklen_t* len) noexcept;

// Aborts the TCP connection of `fd` as the kernel does for an RST-worthy
// disconnect: connect(AF_UNSPEC) runs tcp_disconnect, which sends an RST to
// the peer, discards both queues and leaves the descriptor open and
// unconnected (raw syscall: never interposed). Preserves errno.
void abort_connection(int fd) noexcept;

// Fork child: the plan manager went back to pass-through (g_mode 0), so the
// child starts without marks, and with a usable mutex whatever thread of
// the parent held it.
void reset_in_child() noexcept;

// The published plan's identity, to tell when a held connect must be asked
// about again (a fault was armed, cleared or expired meanwhile).
struct PlanStamp {
  const void* plan = nullptr;
  std::uint64_t version = 0;
  bool operator==(const PlanStamp&) const = default;
};
PlanStamp plan_stamp() noexcept;

// The plan stamp a held connect was last decided under; set_decided() records a new one.
PlanStamp decided_under(int fd) noexcept;
void set_decided(int fd, PlanStamp stamp) noexcept;

}  // namespace faultline::shim::conn
