// Reaching a preloaded process through its segment, and loopback ports.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "faultline/controlplane/client.h"

namespace faultline::testing {

// Polls until /dev/shm/faultline.<pid> is attachable (cp::Client::attach),
// or `timeout` passes (nullopt; `reason` says why the last attempt failed).
std::optional<cp::Client> wait_for_segment(pid_t pid, std::chrono::milliseconds timeout,
                                           std::string* reason = nullptr);

// True if /dev/shm/faultline.<pid> exists.
bool segment_exists(pid_t pid);

// A loopback port that was free a moment ago (bound to port 0, read, closed).
std::uint16_t free_loopback_port(int type = SOCK_STREAM);

}  // namespace faultline::testing
