// Running one activity the way Chaos Toolkit records it: the run record
// {activity, output, status, start, end, duration[, exception][, tolerance_met]}.
#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "faultline/experiment/experiment.h"
#include "faultline/experiment/tolerance.h"

namespace faultline::experiment {

class RunContext;

struct ActivityRun {
  nlohmann::json record;
  bool succeeded = false;
  std::string error;                        // when it failed
  std::optional<ToleranceCheck> tolerance;  // when one was checked
  std::optional<double> latency_ms;
  std::vector<std::uint64_t> histogram;
  // True when the tolerance held (or the activity succeeded, without one).
  bool ok() const { return tolerance ? tolerance->met : succeeded; }
};

// Pauses (before/after) are waited here and end early with `cancel`.
// Exceptions other than ActivityFailed propagate: they are runner failures.
ActivityRun execute_activity(const Activity& activity, RunContext& context, const std::atomic<bool>* cancel,
                             bool evaluate_tolerance, bool with_pauses);

// Sleeps up to `d`; false when `cancel` was set first (polls every 5 ms).
bool sleep_unless(std::chrono::nanoseconds d, const std::atomic<bool>* cancel);

}  // namespace faultline::experiment
