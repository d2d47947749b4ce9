// Sends one command to many targets: every submit first, then every wait, so
// the targets apply it as nearly together as they can.
#pragma once

#include <chrono>
#include <vector>

#include "faultline/cli/selector.h"
#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"

namespace faultline::cli {

inline constexpr std::chrono::seconds kAckTimeout{2};

// One AckResult per target, in order. A full ring is a rejection with its
// reason; a target that does not answer before `timeout` stays kPending.
std::vector<cp::AckResult> broadcast(std::vector<Target>& targets, const abi::Command& cmd,
                                     std::chrono::nanoseconds timeout = kAckTimeout);

// "1234 order-service rejected lat-3f9a: <reason>" or "... did not acknowledge within 2s".
std::string describe_failure(const Target& target, const cp::AckResult& ack, std::string_view what);

}  // namespace faultline::cli
