// Steady-state tolerances as Chaos Toolkit defines them: a bool, a number or
// a string (equal to the probe's value, or to its "status" for process and
// http outputs), a [low, high] pair, a list of accepted values, or an object
// {"type": "range"|"regex"|"jsonpath"|"probe", ...} with an optional "target"
// key of the probe's output.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace faultline::experiment {

struct ToleranceCheck {
  bool met = false;
  std::string reason;  // why not, for violations and summaries
};

// Runs a tolerance of type "probe" with the value; true when it accepts it.
using ProbeToleranceRunner = std::function<bool(const nlohmann::json& probe, const nlohmann::json& value)>;

// nullopt when valid, else what is wrong and what was expected.
std::optional<std::string> validate_tolerance(const nlohmann::json& tolerance);

ToleranceCheck check_tolerance(const nlohmann::json& tolerance, const nlohmann::json& value,
                               const ProbeToleranceRunner& run_probe = {});

// The number to plot for a probe's output: the tolerance's target, the
// first JSONPath match, the output itself (bools as 0/1) or its status.
std::optional<double> plot_value(const nlohmann::json& tolerance, const nlohmann::json& output);

// Short text of a tolerance for summaries: "[0, 200]", "== 200", "regex ^ok".
std::string describe_tolerance(const nlohmann::json& tolerance);

}  // namespace faultline::experiment
