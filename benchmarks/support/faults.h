// Commands the benchmarks send to a preloaded process.
#pragma once

#include <cstdint>
#include <string>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"

namespace faultline::bench {

// A constant latency on egress calls of `proto` to 127.0.0.1:dst_port,
// armed for ten minutes.
abi::FaultSpec loopback_latency(const char* id, std::int64_t delay_ns, abi::Proto proto,
                                std::uint16_t dst_port);

// Submits `cmd` and waits for the target's acknowledgement; "" once
// applied, else the reason.
std::string apply(cp::Client& client, const abi::Command& cmd);

}  // namespace faultline::bench
