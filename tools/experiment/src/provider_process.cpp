// Chaos Toolkit's process provider: {"path", "arguments" (list, mapping or a
// shell string), "timeout"} -> {"status", "stdout", "stderr"}.
#include <chrono>

#include "provider.h"
#include "run_context.h"
#include "subprocess.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

std::string arg_text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::optional<ProviderProblem> validate_process_provider(const Json& provider) {
  const auto path = provider.find("path");
  if (path == provider.end() || !path->is_string() || path->get<std::string>().empty())
    return ProviderProblem{"", "process provider without 'path' (expected the program to run)"};
  if (provider.contains("arguments")) {
    const Json& args = provider["arguments"];
    if (!args.is_array() && !args.is_object() && !args.is_string())
      return ProviderProblem{"arguments", "process 'arguments' must be a list, a mapping or a string"};
  }
  return std::nullopt;
}

// Reused by the faultline provider: a finished process as the journal shows it.
Json process_output(const SubprocessResult& r) {
  return Json{{"status", r.status}, {"stdout", r.out}, {"stderr", r.err}};
}

ProviderOutput run_process_provider(const Activity& activity, RunContext&, const std::atomic<bool>* cancel) {
  const Json& p = activity.provider;
  const std::string path = p["path"].get<std::string>();
  std::vector<std::string> argv;
  if (p.contains("arguments") && p["arguments"].is_string()) {
    // As Chaos Toolkit does: a string of arguments goes through the shell.
    argv = {"/bin/sh", "-c", path + " " + p["arguments"].get<std::string>()};
  } else {
    argv.push_back(path);
    if (p.contains("arguments") && p["arguments"].is_array()) {
      for (const auto& a : p["arguments"])
        if (!a.is_null() && !(a.is_string() && a.get<std::string>().empty())) argv.push_back(arg_text(a));
    } else if (p.contains("arguments") && p["arguments"].is_object()) {
      for (const auto& [key, value] : p["arguments"].items()) {
        argv.push_back(key);
        if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty()))
          argv.push_back(arg_text(value));
      }
    }
  }
  const auto timeout = provider_timeout(p, std::chrono::nanoseconds(0));
  SubprocessResult r;
  try {
    r = run_subprocess(argv, timeout, cancel);
  } catch (const std::exception& e) {
    throw ActivityFailed(e.what());
  }
  if (r.timed_out)
    throw ActivityFailed("process activity took too long to complete (timeout " + p["timeout"].dump() + ")");
  if (r.cancelled) throw ActivityFailed("process activity stopped: the fault window ended");
  return {process_output(r), std::nullopt, {}};
}

}  // namespace faultline::experiment
