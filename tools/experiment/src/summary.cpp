// The one-screen summary a person reads after `faultline run`.
#include <fmt/format.h>

#include "faultline/experiment/outputs.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

std::string ms(const Json& v) {
  return v.is_number() ? fmt::format("{:.3f}ms", v.get<double>()) : "-";
}

std::string state_line(const Json& state) {
  if (!state.is_object()) return "not checked";
  if (state.value("steady_state_met", false)) return "held";
  for (const auto& r : state["probes"])
    if (!r.value("tolerance_met", true)) {
      std::string why = r.value("status", "") == "failed" && r.contains("exception")
                            ? r["exception"][0].get<std::string>()
                            : "output " + r["output"].dump();
      if (why.size() > 90) why = why.substr(0, 87) + "...";
      return "NOT held: '" + r["activity"].value("name", "?") + "' " + why;
    }
  return "NOT held";
}

void activities(std::string& out, const Json& list, const char* heading) {
  if (list.empty()) return;
  out += fmt::format("{}\n", heading);
  for (const auto& r : list) {
    const bool ok = r.value("status", "") == "succeeded";
    out += fmt::format("  {} {} '{}' {:.3f}s", ok ? "ok    " : "FAILED", r["activity"].value("type", "?"),
                       r["activity"].value("name", "?"), r.value("duration", 0.0));
    if (!ok && r.contains("exception")) out += " - " + r["exception"][0].get<std::string>();
    out += "\n";
  }
}

}  // namespace

std::string summary_text(const Json& journal) {
  const Json& fl = journal.contains("faultline") ? journal["faultline"] : Json::object();
  const Json& e = journal["experiment"];
  std::string out;
  out += fmt::format("Experiment: {}\n", e.value("title", "?"));
  if (fl.contains("experiment_file"))
    out += fmt::format("File:       {}\n", fl["experiment_file"].get<std::string>());
  out += fmt::format("Started:    {} UTC, {:.3f}s\n", journal.value("start", "?"),
                     journal.value("duration", 0.0));
  const int exit_code = fl.value("exit_code", -1);
  out += fmt::format("Status:     {}{} (exit {})\n", journal.value("status", "?"),
                     journal.value("deviated", false) ? ", deviated" : "", exit_code);
  const std::string hypothesis = fl.value("hypothesis", "");
  if (!hypothesis.empty()) {
    const Json& states = journal["steady_states"];
    out += fmt::format("Steady state: {}\n", hypothesis);
    out += fmt::format("  before:  {}\n", state_line(states["before"]));
    if (fl.contains("window") && fl["window"].is_object()) {
      const double window = fl["window"].value("end_s", 0.0) - fl["window"].value("start_s", 0.0);
      std::size_t during = 0;
      for (const auto& s : fl.value("samples", Json::array())) during += s.value("phase", "") == "during";
      const Json violations = fl.value("violations", Json::array());
      out += fmt::format("  during:  {} violation(s) in {} samples over a {:.3f}s fault window",
                         violations.size(), during, window);
      if (!violations.empty()) {
        const Json& v = violations[0];
        out += fmt::format("; first +{:.3f}s: '{}' {}", v.value("elapsed_s", 0.0),
                           v["probes"][0].value("probe", "?"), v["probes"][0].value("reason", ""));
      }
      out += "\n";
      out += fmt::format("  after:   {}\n", state_line(states["after"]));
      if (fl.value("recovered", Json()).is_boolean())
        out += fl["recovered"].get<bool>() ? fmt::format("  recovery: {:.3f}s after the fault window\n",
                                                         fl.value("time_to_recover_s", 0.0))
                                           : fmt::format("  recovery: NOT recovered within {}s\n",
                                                         fl["settings"].value("recovery_timeout_s", 0.0));
    }
    for (const auto& l : fl.value("latency", Json::array())) {
      const auto p99 = [&](const char* phase) { return l[phase].is_object() ? ms(l[phase]["p99"]) : "-"; };
      out += fmt::format("  P99 '{}' ({}): before {}  during {}  after {}\n", l.value("probe", "?"),
                         l.value("source", ""), p99("before"), p99("during"), p99("after"));
    }
  }
  activities(out, journal.value("run", Json::array()), "Method:");
  activities(out, journal.value("rollbacks", Json::array()), "Rollbacks:");
  const Json faults = fl.value("faults", Json::array());
  if (!faults.empty()) {
    int by_runner = 0;
    for (const auto& f : faults) by_runner += f["runner_cleanup"].is_object();
    out += fmt::format("Faults:     {} injected, {} cleared by the runner after the rollbacks\n",
                       faults.size(), by_runner);
  }
  if (fl.contains("halted") && fl["halted"].is_object())
    out += fmt::format("Halted:     at {:.3f}s: {}\n", fl["halted"].value("t_s", 0.0),
                       fl["halted"].value("reason", ""));
  if (fl.contains("interrupted") && !fl["interrupted"].is_null())
    out += fmt::format("Interrupted by signal {}: rolled back\n", fl["interrupted"].dump());
  if (fl.contains("aborted") && fl["aborted"].is_string())
    out += "Aborted:    " + fl["aborted"].get<std::string>() + "\n";
  if (exit_code == 0) {
    out += "Result:     HYPOTHESIS HELD\n";
  } else if (exit_code == 1) {
    out += "Result:     DEVIATED";
    for (const auto& r : fl.value("deviation_reasons", Json::array())) out += "\n  - " + r.get<std::string>();
    out += "\n";
  } else {
    std::string why = fl.value("gate_reason", Json()).is_string()
                          ? "the steady state did not hold before the method (" +
                                fl["gate_reason"].get<std::string>() + "); nothing was injected"
                          : "";
    if (why.empty() && fl.contains("failed_actions") && !fl["failed_actions"].empty())
      why = "method action failed: " + fl["failed_actions"][0].get<std::string>();
    if (why.empty() && fl.contains("interrupted") && !fl["interrupted"].is_null()) why = "interrupted";
    if (why.empty() && fl.contains("aborted") && fl["aborted"].is_string())
      why = fl["aborted"].get<std::string>();
    out += "Result:     COULD NOT RUN" + (why.empty() ? std::string() : ": " + why) + "\n";
  }
  return out;
}

}  // namespace faultline::experiment
