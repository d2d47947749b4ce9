// faultline ps [--json] [--gc]: the live targets of this user, their labels,
// uptime and armed faults.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/clock.h"
#include "faultline/cli/format.h"
#include "faultline/controlplane/segment.h"
#include "faultline/controlplane/validate.h"

namespace faultline::cli {
namespace {

struct PsArgs {
  bool json = false;
  bool gc = false;
};

struct Row {
  pid_t pid;
  std::string program, labels;
  std::int64_t uptime_ns;
  bool telemetry;
  std::vector<cp::FaultView> faults;
};

nlohmann::json fault_json(const cp::FaultView& f, std::int64_t now) {
  const abi::FaultSpec& s = f.spec;
  return {
      {"id", field_string(s.id)},
      {"kind", cp::fault_kind_name(static_cast<abi::FaultKind>(s.kind))},
      {"description", describe_fault(s)},
      {"match", describe_match(s.match)},
      {"slot", f.slot},
      {"starts_in_ns", std::max<std::int64_t>(0, f.starts_mono_ns - now)},
      {"expires_in_ns", std::max<std::int64_t>(0, f.expires_mono_ns - now)},
      {"hits", f.hits},
      {"matched", f.matched},
      {"seed", f.seed},
      {"pct_ppm", s.pct_ppm},
      {"max_hits", s.max_hits},
      {"lease_ns", s.lease_ns},
      {"delay_ns", s.delay_ns},
      {"jitter_ns", s.jitter_ns},
      {"correlation_ppm", s.correlation_ppm},
      {"loss_ppm", s.loss_ppm},
  };
}

nlohmann::json row_json(const Row& r, std::int64_t now) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : split_labels(r.labels)) labels[k] = v;
  nlohmann::json faults = nlohmann::json::array();
  for (const cp::FaultView& f : r.faults) faults.push_back(fault_json(f, now));
  return {{"pid", r.pid},
          {"program", r.program},
          {"labels", labels},
          {"uptime_ns", r.uptime_ns},
          {"telemetry", r.telemetry},
          {"faults", faults}};
}

std::string fault_line(const cp::FaultView& f, std::int64_t now) {
  std::string line = "    " + field_string(f.spec.id) + "  " + describe_fault(f.spec);
  const std::string match = describe_match(f.spec.match);
  if (!match.empty()) line += "  [" + match + "]";
  if (f.starts_mono_ns > now) line += "  starts in " + format_age(f.starts_mono_ns - now);
  line += "  expires in " + format_age(f.expires_mono_ns - now);
  if (f.spec.lease_ns > 0) line += " (leased)";
  line += fmt::format("  hits {}", f.hits);
  return line;
}

void print_table(const std::vector<Row>& rows, std::int64_t now) {
  if (rows.empty()) {
    std::cout << "no faultline targets running\n";
    return;
  }
  std::size_t program_w = 7, labels_w = 6;
  for (const Row& r : rows) {
    program_w = std::max(program_w, r.program.size());
    labels_w = std::max(labels_w, r.labels.size());
  }
  std::cout << fmt::format("{:<8} {:<{}} {:<8} {:<{}} {}\n", "PID", "PROGRAM", program_w, "UPTIME", "LABELS",
                           labels_w, "FAULTS");
  for (const Row& r : rows) {
    std::cout << fmt::format("{:<8} {:<{}} {:<8} {:<{}} {}\n", r.pid, r.program, program_w,
                             format_age(r.uptime_ns), r.labels.empty() ? "-" : r.labels, labels_w,
                             r.faults.size());
    for (const cp::FaultView& f : r.faults) std::cout << fault_line(f, now) << "\n";
  }
}

int run_ps(const PsArgs& args) {
  const int removed = args.gc ? cp::gc_dead_segments() : 0;
  std::vector<cp::SegmentInfo> infos = cp::list_segments();
  std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  std::vector<Row> rows;
  std::vector<std::pair<pid_t, std::string>> skipped;
  int dead = 0;
  const std::int64_t now = mono_now_ns();
  for (const cp::SegmentInfo& info : infos) {
    if (!info.alive) {
      ++dead;
      continue;
    }
    if (info.pid == getpid()) continue;
    std::string reason = info.reason;
    if (info.compatible && info.owned) {
      if (std::optional<cp::Client> c = cp::Client::attach(info.pid, &reason)) {
        const abi::Header& h = c->header();
        rows.push_back({info.pid, field_string(h.program), field_string(h.labels), now - h.start_mono_ns,
                        c->telemetry().enabled, c->faults()});
        continue;
      }
    }
    skipped.emplace_back(info.pid, reason.empty() ? "segment not usable" : reason);
  }

  if (args.json) {
    nlohmann::json out = {{"targets", nlohmann::json::array()}, {"skipped", nlohmann::json::array()}};
    for (const Row& r : rows) out["targets"].push_back(row_json(r, now));
    for (const auto& [pid, reason] : skipped) out["skipped"].push_back({{"pid", pid}, {"reason", reason}});
    out["dead_segments"] = dead;
    if (args.gc) out["gc_removed"] = removed;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (args.gc) std::cout << fmt::format("removed {} dead segment{}\n", removed, removed == 1 ? "" : "s");
  print_table(rows, now);
  for (const auto& [pid, reason] : skipped)
    std::cerr << "faultline: note: skipping pid " << pid << ": " << reason << "\n";
  if (dead > 0)
    std::cerr << fmt::format(
        "faultline: note: {} segment{} of exited processes left; 'faultline ps --gc' removes them\n", dead,
        dead == 1 ? "" : "s");
  return 0;
}

}  // namespace

Command add_ps(CLI::App& root) {
  auto args = std::make_shared<PsArgs>();
  CLI::App* cmd = root.add_subcommand("ps", "List the faultline targets of this user and their armed faults");
  cmd->add_flag("--json", args->json,
                "Print JSON: {targets: [...], skipped: [...], dead_segments, gc_removed}");
  cmd->add_flag("--gc", args->gc,
                "First remove the segments of processes that have exited, and say how many");
  return {cmd, [args] { return run_ps(*args); }};
}

}  // namespace faultline::cli
