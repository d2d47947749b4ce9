// JUnit XML of a run for CI pipelines: one testcase per steady-state phase
// and probe, recovery, halt conditions, and each method and rollback activity.
#include <fmt/format.h>

#include "faultline/experiment/outputs.h"
#include "svg.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

struct Case {
  Case(std::string c, std::string n, std::string k = "", std::string m = "")
      : classname(std::move(c)), name(std::move(n)), kind(std::move(k)), message(std::move(m)) {}
  std::string classname, name;
  double time = 0;
  std::string kind;  // "", "failure", "error", "skipped"
  std::string message, detail;
};

std::string esc(const std::string& s) {
  return svg::escape(s);
}

const Json* probe_record(const Json& state, const std::string& name) {
  if (!state.is_object() || !state.contains("probes")) return nullptr;
  for (const auto& r : state["probes"])
    if (r.contains("activity") && r["activity"].value("name", "") == name) return &r;
  return nullptr;
}

Case state_case(const std::string& phase, const std::string& probe, const Json& state) {
  Case c{"steady-state." + phase, probe};
  const Json* r = probe_record(state, probe);
  if (r == nullptr) {
    c.kind = "skipped";
    c.message = "not checked " + phase + " the method";
    return c;
  }
  c.time = r->value("duration", 0.0);
  if (!r->value("tolerance_met", false)) {
    c.kind = "failure";
    c.message = "tolerance not met " + phase + " the method";
    if (r->value("status", "") == "failed" && r->contains("exception"))
      c.message += ": " + (*r)["exception"][0].get<std::string>();
    c.detail = "output: " + (*r)["output"].dump();
  }
  return c;
}

}  // namespace

std::string junit_xml(const Json& journal) {
  const Json& fl = journal.contains("faultline") ? journal["faultline"] : Json::object();
  const std::string title =
      journal.contains("experiment") ? journal["experiment"].value("title", "experiment") : "experiment";
  std::vector<Case> cases;
  const Json probes = fl.value("probes", Json::array());
  const Json& states = journal["steady_states"];
  const bool method_ran = fl.contains("window") && fl["window"].is_object();
  for (const auto& p : probes)
    cases.push_back(state_case("before", p["name"].get<std::string>(), states["before"]));
  for (const auto& p : probes) {
    const std::string name = p["name"].get<std::string>();
    Case c{"steady-state.during", name};
    if (!method_ran) {
      c.kind = "skipped";
      c.message = "the method did not run";
    } else {
      int count = 0;
      std::string first;
      for (const auto& v : fl.value("violations", Json::array()))
        for (const auto& f : v["probes"])
          if (f["probe"] == name) {
            if (count++ == 0)
              first = fmt::format("first at +{:.3f}s into the fault window: {}", v.value("elapsed_s", 0.0),
                                  f.value("reason", ""));
          }
      if (count > 0) {
        c.kind = "failure";
        c.message = fmt::format("{} violation(s) during the fault window; {}", count, first);
      }
      c.time = fl["window"].value("end_s", 0.0) - fl["window"].value("start_s", 0.0);
    }
    cases.push_back(c);
  }
  for (const auto& p : probes)
    cases.push_back(state_case("after", p["name"].get<std::string>(), states["after"]));
  if (!probes.empty()) {
    Case c{"recovery", "time-to-recover"};
    if (fl.value("recovered", Json()).is_null()) {
      c.kind = "skipped";
      c.message = "recovery was not checked";
    } else if (!fl["recovered"].get<bool>()) {
      c.kind = "failure";
      c.message = fmt::format("did not recover within {}s", fl["settings"].value("recovery_timeout_s", 0.0));
    } else {
      c.time = fl.value("time_to_recover_s", 0.0);
      const Json max = fl["settings"].value("max_time_to_recover_s", Json());
      if (max.is_number() && c.time > max.get<double>()) {
        c.kind = "failure";
        c.message = fmt::format("recovered after {:.3f}s, more than {}s", c.time, max.get<double>());
      }
    }
    cases.push_back(c);
  }
  if (fl.contains("halted") && fl["halted"].is_object())
    cases.emplace_back("halt", "halt-conditions", "failure", fl["halted"].value("reason", ""));
  const auto activities = [&](const char* key, const std::string& classname) {
    for (const auto& r : journal.value(key, Json::array())) {
      Case c{classname, r.contains("activity") ? r["activity"].value("name", "?") : "?"};
      c.time = r.value("duration", 0.0);
      if (r.value("status", "") == "failed") {
        c.kind = "error";
        c.message = r.contains("exception") ? r["exception"][0].get<std::string>() : "failed";
      }
      cases.push_back(c);
    }
  };
  activities("run", "method");
  activities("rollbacks", "rollbacks");
  if (fl.contains("aborted") && fl["aborted"].is_string())
    cases.emplace_back("run", "runner", "error", fl["aborted"].get<std::string>());

  int failures = 0, errors = 0, skipped = 0;
  for (const auto& c : cases) {
    failures += c.kind == "failure";
    errors += c.kind == "error";
    skipped += c.kind == "skipped";
  }
  const double time = journal.value("duration", 0.0);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"faultline\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n",
      cases.size(), failures, errors, time);
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\" "
      "timestamp=\"{}\" hostname=\"{}\">\n",
      esc(title), cases.size(), failures, errors, skipped, time, esc(journal.value("start", "")),
      esc(journal.value("node", "")));
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"status\" value=\"{}\"/>\n", esc(journal.value("status", "")));
  out += fmt::format("      <property name=\"deviated\" value=\"{}\"/>\n", journal.value("deviated", false));
  out += fmt::format("      <property name=\"exit_code\" value=\"{}\"/>\n", fl.value("exit_code", -1));
  out += fmt::format("      <property name=\"experiment_file\" value=\"{}\"/>\n",
                     esc(fl.value("experiment_file", "")));
  out += "    </properties>\n";
  for (const auto& c : cases) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", esc(c.classname),
                       esc(c.name), c.time);
    if (c.kind.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (c.kind == "skipped")
      out += fmt::format("      <skipped message=\"{}\"/>\n", esc(c.message));
    else
      out += fmt::format("      <{0} message=\"{1}\">{2}</{0}>\n", c.kind, esc(c.message),
                         esc(c.detail.empty() ? c.message : c.detail));
    out += "    </testcase>\n";
  }
  out += "    <system-out>" + esc(summary_text(journal)) + "</system-out>\n";
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace faultline::experiment
