// What the rest of the preload needs from start-up (startup.cpp).
#pragma once

namespace faultline::preload {

// Removes this process's segment name (tools stop listing it) when this
// process created it: not in a vfork child, which runs in its parent's
// memory under its own pid. Async-signal-safe; preserves errno.
void unlink_own_segment() noexcept;

// Threads the shim runs in this process: the apply thread, once started,
// and the delay line's engine, once started.
int shim_threads() noexcept;

}  // namespace faultline::preload
