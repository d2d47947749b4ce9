// The apply thread's own descriptor table.
//
// Threads share their process's descriptor table, and the kernel charges a
// process whose table is shared on every descriptor lookup (an atomic
// reference on the file instead of the single-user fast path of fdget): a
// few ns on every read, send, recv or poll of a host that never had a
// thread, merely because the apply thread exists. The apply thread needs
// none of the host's descriptors (it works on the mapped segment and opens
// files by path), so it leaves the shared table for an empty one of its
// own: close_range(CLOSE_RANGE_UNSHARE) does both in one step, without
// copying a reference to any host descriptor (a copy would keep a socket
// the host closes open).
//
// Consequences, by design: a descriptor the apply thread opens is not the
// host's (it cannot leak into the host or take a number the host expects);
// a thread started from the apply thread would share the private table,
// so nothing that needs the host's descriptors (the delay line's engine)
// may be started from there.
#pragma once

namespace faultline::cp {

// Gives the calling thread an empty table of its own. False (and the table
// stays shared) where the kernel cannot (before Linux 5.9). Preserves errno.
bool use_private_fd_table() noexcept;

}  // namespace faultline::cp
