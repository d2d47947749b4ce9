// The faultline provider. Actions run the `faultline` CLI, so experiments
// exercise exactly what users run:
//   {"type": "faultline", "func": "inject", "selector": "-l app=md",
//    "fault": "latency", "arguments": {"delay": "200ms", "for": "60s"}}
// func: inject | clear | kill | pause | db-terminate | db-lock. Every fault
// the run injects gets an id (unless the experiment gives one) so the runner
// can clear it even if no rollback does.
// Probes read telemetry through the control plane:
//   {"type": "faultline", "func": "telemetry", "selector": {"labels": "app=md"},
//    "metric": "p99", "class": "udp_recv", "unit": "ms"}
#include <chrono>
#include <set>
#include <sstream>

#include "faultline/experiment/duration.h"
#include "provider.h"
#include "run_context.h"
#include "subprocess.h"
#include "telemetry_probe.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

const std::set<std::string> kFuncs = {"inject",       "clear",   "kill",     "pause",
                                      "db-terminate", "db-lock", "telemetry"};
const std::set<std::string> kMetrics = {"p50",
                                        "p90",
                                        "p95",
                                        "p99",
                                        "p999",
                                        "max",
                                        "mean",
                                        "error_rate",
                                        "calls_per_second",
                                        "errors_per_second",
                                        "calls",
                                        "errors",
                                        "faulted",
                                        "bytes",
                                        "targets"};

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::string text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// {"delay": "200ms", "seed": 7, "verbose": true} -> --delay 200ms --seed 7 --verbose
std::vector<std::string> cli_arguments(const Json& args) {
  std::vector<std::string> out;
  if (args.is_null()) return out;
  if (args.is_string()) return split_ws(args.get<std::string>());
  if (args.is_array()) {
    for (const auto& a : args) out.push_back(text(a));
    return out;
  }
  for (const auto& [key, value] : args.items()) {
    if (value.is_boolean() && !value.get<bool>()) continue;
    if (value.is_null()) continue;
    out.push_back(key.rfind("-", 0) == 0 ? key : (key.size() == 1 ? "-" : "--") + key);
    if (!value.is_boolean()) out.push_back(text(value));
  }
  return out;
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag, std::string* value) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) {
      *value = args[i + 1];
      return true;
    }
    if (args[i].rfind(flag + "=", 0) == 0) {
      *value = args[i].substr(flag.size() + 1);
      return true;
    }
  }
  return false;
}

bool has_option(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args)
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  return false;
}

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

std::optional<ProviderProblem> validate_faultline_provider(const Json& provider) {
  const auto func = provider.find("func");
  if (func == provider.end() || !func->is_string())
    return ProviderProblem{
        "",
        "faultline provider without 'func' (expected inject, clear, kill, pause, db-terminate, "
        "db-lock or telemetry)"};
  const std::string f = func->get<std::string>();
  if (kFuncs.count(f) == 0)
    return ProviderProblem{"func",
                           "faultline func '" + f +
                               "' (expected inject, clear, kill, pause, db-terminate, db-lock or telemetry)"};
  const bool needs_selector = f != "db-terminate" && f != "db-lock";
  if (needs_selector) {
    if (!provider.contains("selector"))
      return ProviderProblem{"", "faultline " + f +
                                     " needs a 'selector' ({labels: \"app=x\"}, {pid: N}, {name: X}, "
                                     "{all: true} or \"-l app=x\")"};
    std::string error;
    if (!parse_selector(provider["selector"], &error)) return ProviderProblem{"selector", error};
  }
  if (provider.contains("arguments")) {
    const Json& a = provider["arguments"];
    if (!a.is_object() && !a.is_array() && !a.is_string())
      return ProviderProblem{"arguments",
                             "faultline 'arguments' must be a mapping of options, a list or a string"};
  }
  if (f == "inject") {
    if (!provider.contains("fault") || !provider["fault"].is_string())
      return ProviderProblem{
          "",
          "faultline inject needs 'fault' (latency, loss, reset, blackhole, refuse, bandwidth, "
          "slice, corrupt, duplicate, reorder, errno, dns, stall, pq-sever, pq-slow, pq-error, "
          "pq-refuse)"};
  }
  if (provider.contains("arguments") && provider["arguments"].is_object()) {
    for (const auto& [key, value] : provider["arguments"].items()) {
      if (key == "for" || key == "delay" || key == "jitter" || key == "after" || key == "every" ||
          key == "rto") {
        if (!duration_from_json(value))
          return ProviderProblem{"arguments", "malformed duration " + value.dump() + " for '" + key +
                                                  "' (expected e.g. \"200ms\", \"1.5s\", \"2m\")"};
      }
    }
  }
  if (f == "telemetry") {
    for (const char* key : {"metric", "unit"})
      if (provider.contains(key) && !provider[key].is_string())
        return ProviderProblem{key, std::string("telemetry '") + key + "' must be a string"};
    const std::string metric = provider.value("metric", "p99");
    if (kMetrics.count(metric) == 0)
      return ProviderProblem{
          "metric", "telemetry metric '" + metric +
                        "' (expected p50, p90, p95, p99, p999, max, mean, error_rate, "
                        "calls_per_second, errors_per_second, calls, errors, faulted, bytes, targets)"};
    if (provider.contains("class") &&
        (!provider["class"].is_string() || !call_class_from_name(provider["class"].get<std::string>())))
      return ProviderProblem{"class", "telemetry class " + provider["class"].dump() + " (expected one of " +
                                          call_class_names() + ")"};
    const std::string unit = provider.value("unit", "ms");
    if (unit != "ns" && unit != "us" && unit != "ms" && unit != "s")
      return ProviderProblem{"unit", "telemetry unit '" + unit + "' (expected ns, us, ms or s)"};
    if (provider.contains("window") && !duration_from_json(provider["window"]))
      return ProviderProblem{"window",
                             "malformed duration " + provider["window"].dump() + " for the telemetry window"};
  }
  return std::nullopt;
}

ProviderOutput run_faultline_provider(const Activity& activity, RunContext& context,
                                      const std::atomic<bool>* cancel) {
  const Json& p = activity.provider;
  const std::string func = p["func"].get<std::string>();
  std::string error;
  std::optional<Selector> selector;
  if (p.contains("selector")) selector = parse_selector(p["selector"], &error);

  if (func == "telemetry") {
    const auto window = context.experiment().settings.sample_interval;
    try {
      auto reading =
          context.telemetry().read(activity.name + "@" + std::to_string(activity.line), p, window, cancel);
      ProviderOutput out{reading.value, std::nullopt, std::move(reading.histogram)};
      return out;
    } catch (const std::runtime_error& e) {
      throw ActivityFailed(std::string("telemetry: ") + e.what());
    }
  }

  std::vector<std::string> args = cli_arguments(p.value("arguments", Json()));
  std::vector<std::string> argv{context.cli_path()};
  const std::vector<std::string> sel = selector ? selector->cli_args() : std::vector<std::string>{};
  std::string fault_id;
  if (func == "inject") {
    argv.push_back("inject");
    argv.insert(argv.end(), sel.begin(), sel.end());
    argv.push_back(p["fault"].get<std::string>());
    if (!has_flag(args, "--id", &fault_id)) {
      fault_id = context.next_fault_id();
      args.push_back("--id");
      args.push_back(fault_id);
    }
  } else if (func == "clear" || func == "kill" || func == "pause") {
    argv.push_back(func);
    argv.insert(argv.end(), sel.begin(), sel.end());
    if (func == "clear") has_flag(args, "--id", &fault_id);
  } else if (func == "db-terminate") {
    argv.insert(argv.end(), {"db", "terminate"});
  } else if (func == "db-lock") {
    argv.insert(argv.end(), {"db", "lock"});
  }
  argv.insert(argv.end(), args.begin(), args.end());

  // Long-running commands (kill --every, pause, db lock) end with the window.
  const bool long_running =
      func == "pause" || func == "db-lock" || (func == "kill" && has_option(args, "--every"));
  const auto timeout =
      provider_timeout(p, long_running ? std::chrono::nanoseconds(0) : std::chrono::seconds(30));
  SubprocessResult r;
  try {
    r = run_subprocess(argv, timeout, long_running ? cancel : nullptr);
  } catch (const std::exception& e) {
    throw ActivityFailed(std::string("faultline CLI: ") + e.what() +
                         " (set FAULTLINE_CLI to the faultline binary)");
  }
  if (func == "inject" && r.status == 0) context.record_injected(sel, fault_id, activity.name);
  if (func == "clear" && r.status == 0) context.record_cleared(sel, fault_id);
  if (r.timed_out) throw ActivityFailed("faultline " + func + " took too long to complete");
  if (r.cancelled && long_running)
    return {process_output(r), std::nullopt, {}};  // stopped at the window's end
  if (r.status != 0) {
    const std::string why = first_line(r.err.empty() ? r.out : r.err);
    throw ActivityFailed("faultline " + func + " exited with status " + std::to_string(r.status) +
                         (why.empty() ? "" : ": " + why));
  }
  return {process_output(r), std::nullopt, {}};
}

}  // namespace faultline::experiment
