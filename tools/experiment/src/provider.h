// Providers: what an action or probe runs. Each validates its declaration at
// load time (so a bad experiment runs nothing) and runs with a RunContext.
#pragma once

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/experiment/experiment.h"

namespace faultline::experiment {

class RunContext;
struct SubprocessResult;

// What went wrong in a provider declaration: the key it is about ("" for the
// provider itself) and what was expected.
struct ProviderProblem {
  std::string key;
  std::string message;
};

// An activity that ran and failed (timeout, connection refused, exit by
// signal of a faultline command...): Chaos Toolkit's ActivityFailed.
class ActivityFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProviderOutput {
  nlohmann::json output;
  std::optional<double> latency_ms;  // for http/tcp/sql: how long the call took
  // For faultline latency probes: the histogram (abi buckets) of the window,
  // so the run can report exact percentiles per phase.
  std::vector<std::uint64_t> histogram;
};

std::optional<ProviderProblem> validate_provider(const nlohmann::json& provider);

// Throws ActivityFailed; other exceptions are runner bugs and abort the run.
// `cancel` (may be null) stops a long call early: the method's window ending.
ProviderOutput run_provider(const Activity& activity, RunContext& context, const std::atomic<bool>* cancel);

// Per-type halves, in provider_<type>.cpp.
std::optional<ProviderProblem> validate_process_provider(const nlohmann::json& provider);
std::optional<ProviderProblem> validate_http_provider(const nlohmann::json& provider);
std::optional<ProviderProblem> validate_tcp_provider(const nlohmann::json& provider);
std::optional<ProviderProblem> validate_sql_provider(const nlohmann::json& provider);
std::optional<ProviderProblem> validate_faultline_provider(const nlohmann::json& provider);
ProviderOutput run_process_provider(const Activity& activity, RunContext& context,
                                    const std::atomic<bool>* cancel);
ProviderOutput run_http_provider(const Activity& activity, RunContext& context,
                                 const std::atomic<bool>* cancel);
ProviderOutput run_tcp_provider(const Activity& activity, RunContext& context,
                                const std::atomic<bool>* cancel);
ProviderOutput run_sql_provider(const Activity& activity, RunContext& context,
                                const std::atomic<bool>* cancel);
ProviderOutput run_faultline_provider(const Activity& activity, RunContext& context,
                                      const std::atomic<bool>* cancel);

// {"status", "stdout", "stderr"} of a finished program (process and faultline).
nlohmann::json process_output(const SubprocessResult& result);

// A provider "timeout": seconds as a number or a duration string.
std::optional<std::chrono::nanoseconds> provider_timeout(const nlohmann::json& provider,
                                                         std::chrono::nanoseconds fallback);

}  // namespace faultline::experiment
