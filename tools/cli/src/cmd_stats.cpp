// faultline stats SELECTOR [--watch [--interval D]] [--json] [--prometheus]:
// what the selected targets' calls did, from their telemetry. Rates need
// two snapshots, so every sample spans one interval (default 1s); latency
// percentiles are over every call since recording started.
#include <fmt/format.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/format.h"
#include "faultline/cli/parse.h"
#include "faultline/controlplane/validate.h"
#include "stats_sample.h"

namespace faultline::cli {
namespace {

struct StatsArgs {
  SelectorArgs selector;
  bool watch = false, json = false, prometheus = false;
  std::string interval = "1s";
};

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::vector<FaultHits> read_faults(const Target& t, const std::vector<FaultHits>& before) {
  std::vector<FaultHits> out;
  for (const cp::FaultView& f : t.client.faults()) {
    FaultHits h{field_string(f.spec.id), f.hits, 0};
    for (const FaultHits& b : before)
      if (b.id == h.id && b.hits <= h.hits) h.previous_hits = b.hits;
    out.push_back(std::move(h));
  }
  return out;
}

double per_second(std::uint64_t now, std::uint64_t before, std::int64_t interval_ns) {
  if (interval_ns <= 0 || now < before) return 0;
  return static_cast<double>(now - before) * 1e9 / static_cast<double>(interval_ns);
}

std::int64_t interval_of(const TargetSample& s) {
  return s.current.mono_ns - s.previous.mono_ns;
}

std::string enable_hint(const Target& t) {
  return fmt::format(
      "telemetry is off: enable it with 'faultline telemetry -p {} on' (or start it with "
      "'faultline launch --telemetry')",
      t.pid());
}

void print_text(const std::vector<TargetSample>& samples) {
  for (const TargetSample& s : samples) {
    const Target& t = *s.target;
    std::string head = t.name() + (t.labels.empty() ? "" : " [" + t.labels + "]");
    if (!s.alive) {
      std::cout << head << ": exited\n";
      continue;
    }
    const cp::TelemetrySnapshot& now = s.current;
    if (!now.enabled) {
      std::cout << head << ": " << enable_hint(t) << "\n";
    } else {
      std::cout << fmt::format("{}: over {}; {} commands applied, {} rejected, {} internal errors\n", head,
                               format_duration(interval_of(s)), now.commands_applied, now.commands_rejected,
                               now.internal_errors);
      bool any = false;
      for (std::size_t i = 0; i < now.classes.size(); ++i) {
        const cp::ClassStats& c = now.classes[i];
        if (c.calls == 0) continue;
        if (!any)
          std::cout << fmt::format("  {:<15} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "class",
                                   "calls", "calls/s", "bytes/s", "errors", "p50", "p99", "p99.9", "max");
        any = true;
        const cp::ClassStats& before = s.previous.classes[i];
        const auto bytes_rate = static_cast<std::uint64_t>(per_second(c.bytes, before.bytes, interval_of(s)));
        std::cout << fmt::format("  {:<15} {:>10} {:>10.1f} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                                 cp::call_class_name(static_cast<abi::CallClass>(i)), c.calls,
                                 per_second(c.calls, before.calls, interval_of(s)), format_rate(bytes_rate),
                                 c.errors, format_duration(static_cast<std::int64_t>(c.percentile_ns(0.5))),
                                 format_duration(static_cast<std::int64_t>(c.percentile_ns(0.99))),
                                 format_duration(static_cast<std::int64_t>(c.percentile_ns(0.999))),
                                 format_duration(static_cast<std::int64_t>(c.max_ns)));
      }
      if (!any) std::cout << "  no calls recorded yet\n";
    }
    for (const FaultHits& f : s.faults)
      std::cout << fmt::format("  fault {}: {} hits ({:.1f}/s)\n", f.id, f.hits,
                               per_second(f.hits, f.previous_hits, interval_of(s)));
  }
}

nlohmann::json to_json(const std::vector<TargetSample>& samples) {
  nlohmann::json out = {{"mono_ns", clock_ns(CLOCK_MONOTONIC)},
                        {"wall_ns", clock_ns(CLOCK_REALTIME)},
                        {"targets", nlohmann::json::array()}};
  for (const TargetSample& s : samples) {
    const Target& t = *s.target;
    const cp::TelemetrySnapshot& now = s.current;
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [key, value] : split_labels(t.labels)) labels[key] = value;
    nlohmann::json j = {{"pid", t.pid()},
                        {"program", t.program},
                        {"labels", labels},
                        {"alive", s.alive},
                        {"telemetry_enabled", now.enabled},
                        {"mono_ns", now.mono_ns},
                        {"wall_ns", now.wall_ns},
                        {"interval_ns", interval_of(s)},
                        {"commands_applied", now.commands_applied},
                        {"commands_rejected", now.commands_rejected},
                        {"internal_errors", now.internal_errors},
                        {"classes", nlohmann::json::array()},
                        {"errnos", nlohmann::json::object()},
                        {"faults", nlohmann::json::array()}};
    if (!now.enabled) j["note"] = enable_hint(t);
    for (std::size_t i = 0; i < now.classes.size(); ++i) {
      const cp::ClassStats& c = now.classes[i];
      if (c.calls == 0) continue;
      const cp::ClassStats& before = s.previous.classes[i];
      j["classes"].push_back({{"class", cp::call_class_name(static_cast<abi::CallClass>(i))},
                              {"calls", c.calls},
                              {"bytes", c.bytes},
                              {"errors", c.errors},
                              {"faulted", c.faulted},
                              {"calls_per_s", per_second(c.calls, before.calls, interval_of(s))},
                              {"bytes_per_s", per_second(c.bytes, before.bytes, interval_of(s))},
                              {"errors_per_s", per_second(c.errors, before.errors, interval_of(s))},
                              {"mean_ns", c.sum_ns / c.calls},
                              {"p50_ns", c.percentile_ns(0.5)},
                              {"p99_ns", c.percentile_ns(0.99)},
                              {"p999_ns", c.percentile_ns(0.999)},
                              {"max_ns", c.max_ns}});
    }
    for (std::size_t e = 0; e < now.errno_counts.size(); ++e) {
      if (now.errno_counts[e] == 0) continue;
      const char* name = e + 1 < now.errno_counts.size() ? strerrorname_np(static_cast<int>(e)) : "other";
      j["errnos"][name != nullptr ? name : std::to_string(e)] = now.errno_counts[e];
    }
    for (const FaultHits& f : s.faults)
      j["faults"].push_back({{"id", f.id},
                             {"hits", f.hits},
                             {"hits_per_s", per_second(f.hits, f.previous_hits, interval_of(s))}});
    out["targets"].push_back(std::move(j));
  }
  return out;
}

void refresh(std::vector<TargetSample>& samples) {
  for (TargetSample& s : samples) {
    s.previous = std::move(s.current);
    s.alive = s.target->client.alive();
    s.current = s.target->client.telemetry();
    s.faults = read_faults(*s.target, s.faults);
  }
}

int run_stats(const StatsArgs& args) {
  const Selector selector = make_selector(args.selector, "stats");
  if (args.json && args.prometheus)
    throw UserError("--json and --prometheus do not combine: expected at most one output format", kExitUsage);
  const std::int64_t interval_ns = parse_duration(args.interval, "--interval");
  if (interval_ns == 0)
    throw UserError("invalid duration '0' for --interval: expected a positive interval, e.g. 1s", kExitUsage);
  const std::vector<Target> targets = resolve_and_note(selector);

  std::vector<TargetSample> samples;
  for (const Target& t : targets) {
    TargetSample s;
    s.target = &t;
    s.current = t.client.telemetry();
    s.faults = read_faults(t, {});
    samples.push_back(std::move(s));
  }
  const bool clear_screen = args.watch && !args.json && !args.prometheus && isatty(STDOUT_FILENO) == 1;
  auto next = std::chrono::steady_clock::now();
  for (bool first = true; first || args.watch; first = false) {
    next += std::chrono::nanoseconds(interval_ns);
    std::this_thread::sleep_until(next);
    refresh(samples);
    if (args.json) {
      std::cout << to_json(samples).dump() << std::endl;
    } else if (args.prometheus) {
      std::cout << render_prometheus(samples) << std::flush;
    } else {
      if (clear_screen) std::cout << "\033[H\033[2J";
      if (args.watch && !clear_screen && !first) std::cout << "\n";
      print_text(samples);
      std::cout << std::flush;
    }
  }
  return 0;
}

}  // namespace

Command add_stats(CLI::App& root) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = root.add_subcommand(
      "stats",
      "Show call rates, errors and latency percentiles of the selected targets: 'faultline stats SELECTOR "
      "[--watch [--interval D]] [--json | --prometheus]'");
  add_selector_options(*cmd, args->selector);
  cmd->add_flag("--watch", args->watch, "Refresh every interval until Ctrl-C");
  cmd->add_option("--interval", args->interval,
                  "Time between the snapshots a rate is taken over (default 1s)")
      ->type_name("D");
  cmd->add_flag("--json", args->json, "One JSON object per sample, with mono_ns and wall_ns");
  cmd->add_flag("--prometheus", args->prometheus, "The Prometheus text exposition format");
  return {cmd, [args] { return run_stats(*args); }};
}

}  // namespace faultline::cli
