// An experiment in Chaos Toolkit's open format (JSON or YAML), validated and
// with its configuration substituted, plus faultline's run options from the
// `x-faultline` (or `faultline`) block.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faultline::experiment {

using Json = nlohmann::json;

// One action or probe, as declared (after `ref` resolution and substitution).
struct Activity {
  std::string type;  // "action" or "probe"
  std::string name;
  Json provider;                  // validated; provider["type"] is one of the supported ones
  std::optional<Json> tolerance;  // probes of the hypothesis always have one
  bool background = false;
  std::chrono::nanoseconds pause_before{0}, pause_after{0};
  Json declared;  // the activity as written (secrets redacted), for the journal
  int line = 0;   // where it was declared
};

// When a run stops early although nothing went wrong with the runner.
struct HaltRules {
  int max_violations = 0;              // 0 = no limit: halt when the total reaches it
  int max_consecutive_violations = 0;  // 0 = no limit
  std::vector<Activity> probes;        // guard probes: halt when one is outside its tolerance
};

struct RunSettings {
  std::chrono::nanoseconds sample_interval{std::chrono::seconds(1)};  // >= 10 ms
  std::chrono::nanoseconds duration{0};      // the fault window lasts at least this long
  std::chrono::nanoseconds baseline{0};      // extra sampling before the method
  std::chrono::nanoseconds grace_period{0};  // from the window's end to the final check
  std::chrono::nanoseconds recovery_timeout{std::chrono::seconds(30)};
  std::optional<std::chrono::nanoseconds> max_time_to_recover;  // deviate when recovery is slower
  int allowed_violations = 0;  // violations in the window that still count as "held"
  HaltRules halt;
};

struct Experiment {
  std::string file;
  std::string title, description;
  std::vector<std::string> tags;
  Json configuration = Json::object();  // resolved values (env looked up)
  std::string hypothesis_title;         // empty when there is no hypothesis
  std::vector<Activity> hypothesis;     // the steady-state probes
  std::vector<Activity> method;
  std::vector<Activity> rollbacks;
  RunSettings settings;
  Json declared;  // the whole experiment as written, secrets redacted
};

// Configuration overrides (like `chaos run --var KEY=VALUE`).
using Vars = std::map<std::string, std::string>;

// Reads and validates; throws LoadError ("file:line: what was expected").
Experiment load_experiment(const std::filesystem::path& path, const Vars& vars = {});
Experiment parse_experiment(const std::string& text, const std::string& file_name, const Vars& vars = {});

// Names of the providers experiments can use.
inline constexpr const char* kProviderTypes = "process, http, tcp, sql or faultline";

}  // namespace faultline::experiment
