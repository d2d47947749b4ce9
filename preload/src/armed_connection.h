// Connection faults carried out (reset, refuse, blackhole, errno): given a
// descriptor, the plan's verdict and the call, what the call does instead.
// Semantics: docs/fault-models.md. The marks these faults leave on a
// descriptor live in shim/connection_state.h.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "armed_call.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/matcher.h"

namespace faultline::preload {

// What a settled call returns: `result`, with errno = `err` when it failed.
struct Settled {
  ssize_t result = 0;
  int err = 0;
};

// Before a data call reaches the kernel (or the delay line): a descriptor a
// connection fault marked answers by its mark (reset: ECONNRESET / EPIPE and
// SIGPIPE; held connect: EAGAIN; owed errno: the receive fails). False: the
// call goes on. One load when nothing is marked.
bool connection_marked_call(int fd, bool egress, int flags, Settled* out) noexcept;

// After the verdict of a send, before anything is sent: reset (RST, the call
// fails with ECONNRESET), errno (fails with it), blackhole (reported sent).
bool connection_settles_send(int fd, const shim::SocketInfo& info, const shim::Verdict& v, int flags,
                             std::size_t len, Settled* out) noexcept;

// After the verdict of a receive that got data (a datagram, or stream
// bytes): reset (RST, ECONNRESET, the bytes are gone with the connection),
// errno (a datagram: consumed and the call fails; stream bytes are returned
// and the next receive fails), blackhole (discarded: receive again, or
// EAGAIN for a non-blocking call). `flags`: the call's.
enum class RecvOutcome : std::uint8_t { kPass, kSettled, kReceiveAgain };
RecvOutcome connection_settles_recv(int fd, const shim::SocketInfo& info, const shim::Verdict& v, int flags,
                                    Settled* out) noexcept;

// Returns a settled call's result with errno set (`saved_errno` on success)
// and records it (class `cls`, since `t0`) when telemetry is on.
ssize_t finish_settled(const Settled& s, abi::CallClass cls, CallMode mode, std::int64_t t0,
                       int saved_errno) noexcept;

// Before the real connect of `fd` to `addr`: refuse / errno fail it, a
// blackhole holds it (blocking: waits; non-blocking: EINPROGRESS, never
// writable while the fault lasts). True: settled (*out); false: connect.
bool connection_settles_connect(int fd, const sockaddr* addr, socklen_t addr_len, Settled* out);

// After a real accept on `listen_fd` returned `conn`: reset aborts it and
// returns it; refuse aborts and closes it (`*again`: accept once more,
// blocking) or reports EAGAIN; errno aborts and closes it and fails.
// Returns what accept must return (errno set when -1).
int connection_settles_accept(int listen_fd, int conn, bool* again) noexcept;

// Readiness: `fd` holds a blackholed connect, so it must look not ready at
// all. A hold whose fault ended is released here (its real connect starts).
bool readiness_hidden(int fd) noexcept;
// Any descriptor whose readiness may be hidden.
bool any_readiness_hidden() noexcept;

}  // namespace faultline::preload
