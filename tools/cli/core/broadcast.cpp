#include "faultline/cli/broadcast.h"

#include <string>

#include "faultline/cli/format.h"

namespace faultline::cli {

std::vector<cp::AckResult> broadcast(std::vector<Target>& targets, const abi::Command& cmd,
                                     std::chrono::nanoseconds timeout) {
  std::vector<std::uint64_t> seqs;
  seqs.reserve(targets.size());
  for (Target& t : targets) seqs.push_back(t.client.submit(cmd));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<cp::AckResult> acks(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (seqs[i] == 0) {
      acks[i].status = abi::AckStatus::kRejected;
      acks[i].reason = "its command ring is full";
      continue;
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    acks[i] = targets[i].client.wait_ack(
        seqs[i], std::max<std::chrono::nanoseconds>(left, std::chrono::nanoseconds{0}));
  }
  return acks;
}

std::string describe_failure(const Target& target, const cp::AckResult& ack, std::string_view what) {
  if (ack.status == abi::AckStatus::kRejected)
    return target.name() + " rejected " + std::string(what) + ": " + ack.reason;
  std::string msg =
      target.name() + " did not acknowledge " + std::string(what) + " within " +
      format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(kAckTimeout).count());
  if (!ack.reason.empty()) msg += " (" + ack.reason + ")";
  return msg + ": expected a live target that is not stopped";
}

}  // namespace faultline::cli
