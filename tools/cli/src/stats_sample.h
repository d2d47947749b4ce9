// What 'faultline stats' reads from one target per sample, and the
// renderings that are not the command's own (the Prometheus exposition).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faultline/cli/selector.h"
#include "faultline/controlplane/client.h"

namespace faultline::cli {

struct FaultHits {
  std::string id;
  std::uint64_t hits = 0;
  std::uint64_t previous_hits = 0;  // at the previous sample (same slot and id), else 0
};

struct TargetSample {
  const Target* target = nullptr;
  bool alive = true;
  cp::TelemetrySnapshot previous, current;  // rates are current minus previous
  std::vector<FaultHits> faults;
};

// The Prometheus text exposition format (version 0.0.4) of the current
// snapshots: counters per class, a latency histogram with power-of-two
// bounds, fault hits, labelled with pid, program and the target's labels.
std::string render_prometheus(const std::vector<TargetSample>& samples);

}  // namespace faultline::cli
