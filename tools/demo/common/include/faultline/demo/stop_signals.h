// How every demo program stops: the main thread blocks SIGINT and SIGTERM
// before it starts any thread (threads inherit the mask, so no worker is
// interrupted at a random point), does its work on other threads, and waits
// for one of the two signals; then it shuts its parts down in order.
#pragma once

#include <chrono>
#include <optional>

namespace faultline::demo {

// Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE (a peer
// that disappears mid-write is an error return, not a death). Call first in
// main(). A program that starts children must undo both in the child
// (restore_default_signals) or they would be inherited across exec.
void install_stop_signals();

// Restores the default disposition and an empty mask (in a forked child).
void restore_default_signals();

// Waits for SIGINT or SIGTERM: the signal number, or nullopt when `timeout`
// passes first. No timeout waits for ever.
std::optional<int> wait_for_stop_signal(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace faultline::demo
