#include "monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "activity.h"
#include "faultline/experiment/tolerance.h"
#include "run_context.h"
#include "signals.h"
#include "telemetry_probe.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

constexpr std::size_t kMaxDuringStates = 500;

double nearest_rank(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

Json brief_value(const Json& output) {
  if (output.is_object() && output.contains("status")) {
    Json b = Json::object();
    for (const char* key : {"status", "age_s", "value"})
      if (output.contains(key)) b[key] = output[key];
    return b;
  }
  if (output.is_string() && output.get<std::string>().size() > 200)
    return output.get<std::string>().substr(0, 200) + "...";
  return output;
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kBefore:
      return "before";
    case Phase::kDuring:
      return "during";
    case Phase::kAfter:
      return "after";
  }
  return "?";
}

void Recorder::add_sample(Phase phase, double t, const Json& values, const Json& met) {
  std::lock_guard lock(mu_);
  samples_.push_back(
      {{"t", std::round(t * 1e6) / 1e6}, {"phase", phase_name(phase)}, {"values", values}, {"met", met}});
}

void Recorder::add_violation(Json violation) {
  std::lock_guard lock(mu_);
  violations_.push_back(std::move(violation));
}

void Recorder::add_during_state(const Json& state) {
  std::lock_guard lock(mu_);
  if (during_.size() < kMaxDuringStates)
    during_.push_back(state);
  else
    ++during_dropped_;
}

void Recorder::add_latency(const std::string& probe, Phase phase, double ms) {
  std::lock_guard lock(mu_);
  if (latency_.find(probe) == latency_.end()) latency_order_.push_back(probe);
  latency_[probe][static_cast<int>(phase)].values_ms.push_back(ms);
}

void Recorder::add_histogram(const std::string& probe, Phase phase, const std::vector<std::uint64_t>& buckets,
                             double unit_ns) {
  std::lock_guard lock(mu_);
  if (latency_.find(probe) == latency_.end()) latency_order_.push_back(probe);
  auto& pl = latency_[probe][static_cast<int>(phase)];
  pl.unit_ns = unit_ns;
  if (pl.buckets.size() < buckets.size()) pl.buckets.resize(buckets.size(), 0);
  for (std::size_t i = 0; i < buckets.size(); ++i) pl.buckets[i] += buckets[i];
}

std::size_t Recorder::violation_count() const {
  std::lock_guard lock(mu_);
  return violations_.size();
}

Json Recorder::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

Json Recorder::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

Json Recorder::during_states() const {
  std::lock_guard lock(mu_);
  return during_;
}

std::size_t Recorder::during_states_dropped() const {
  std::lock_guard lock(mu_);
  return during_dropped_;
}

Json Recorder::latency() const {
  std::lock_guard lock(mu_);
  Json out = Json::array();
  for (const auto& probe : latency_order_) {
    Json entry{{"probe", probe}, {"unit", "ms"}};
    const auto& phases = latency_.at(probe);
    for (Phase phase : {Phase::kBefore, Phase::kDuring, Phase::kAfter}) {
      const auto it = phases.find(static_cast<int>(phase));
      if (it == phases.end()) {
        entry[phase_name(phase)] = nullptr;
        continue;
      }
      const PhaseLatency& pl = it->second;
      Json stats;
      if (!pl.buckets.empty()) {
        std::uint64_t count = 0;
        for (auto c : pl.buckets) count += c;
        entry["source"] = "telemetry histogram";
        if (count == 0) {
          entry[phase_name(phase)] = {{"count", 0}, {"p50", nullptr}, {"p99", nullptr}, {"max", nullptr}};
          continue;
        }
        stats = {{"count", count},
                 {"p50", static_cast<double>(bucket_percentile_ns(pl.buckets, 0.5)) / 1e6},
                 {"p99", static_cast<double>(bucket_percentile_ns(pl.buckets, 0.99)) / 1e6},
                 {"max", static_cast<double>(bucket_percentile_ns(pl.buckets, 1.0)) / 1e6}};
      } else {
        entry["source"] = "probe call time";
        stats = {{"count", pl.values_ms.size()},
                 {"p50", nearest_rank(pl.values_ms, 0.5)},
                 {"p99", nearest_rank(pl.values_ms, 0.99)},
                 {"max", *std::max_element(pl.values_ms.begin(), pl.values_ms.end())}};
      }
      entry[phase_name(phase)] = stats;
    }
    out.push_back(entry);
  }
  return out;
}

SampleOutcome Monitor::check(Phase phase, const std::atomic<bool>* cancel) {
  SampleOutcome outcome;
  outcome.state = {{"steady_state_met", true}, {"probes", Json::array()}};
  Json values = Json::object(), met = Json::object();
  for (const Activity& probe : experiment_.hypothesis) {
    ActivityRun run = execute_activity(probe, context_, cancel, true, false);
    const bool ok = run.ok();
    const Json& output = run.record["output"];
    const auto plotted = plot_value(*probe.tolerance, output);
    values[probe.name] = plotted ? Json(*plotted) : Json(nullptr);
    met[probe.name] = ok;
    if (run.latency_ms) recorder_.add_latency(probe.name, phase, *run.latency_ms);
    if (!run.histogram.empty()) {
      const std::string unit = probe.provider.value("unit", "ms");
      const double unit_ns = unit == "ns" ? 1.0 : unit == "us" ? 1e3 : unit == "s" ? 1e9 : 1e6;
      recorder_.add_histogram(probe.name, phase, run.histogram, unit_ns);
    }
    if (!ok) {
      outcome.held = false;
      outcome.failing.push_back({{"probe", probe.name},
                                 {"reason", run.tolerance ? run.tolerance->reason : run.error},
                                 {"value", brief_value(output)}});
    }
    outcome.state["probes"].push_back(std::move(run.record));
  }
  outcome.state["steady_state_met"] = outcome.held;
  outcome.t = recorder_.seconds_since_start(Clock::now());
  if (!experiment_.hypothesis.empty()) recorder_.add_sample(phase, outcome.t, values, met);
  return outcome;
}

void Monitor::start(std::atomic<bool>* window_cancel, Clock::time_point window_start) {
  stop_ = false;
  thread_ = std::thread([this, window_cancel, window_start] { loop(window_cancel, window_start); });
}

void Monitor::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string Monitor::halt_reason() const {
  std::lock_guard lock(mu_);
  return halt_reason_;
}

std::string Monitor::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void Monitor::halt(const std::string& reason, double t, std::atomic<bool>* window_cancel) {
  {
    std::lock_guard lock(mu_);
    if (halted_) return;
    halt_reason_ = reason;
    halted_at_ = t;
  }
  halted_ = true;
  window_cancel->store(true);
  context_.log(fmt::format("[{:8.3f}s] halt: {}", t, reason));
}

void Monitor::loop(std::atomic<bool>* window_cancel, Clock::time_point window_start) {
  const RunSettings& s = experiment_.settings;
  const bool sampling = !experiment_.hypothesis.empty() || !s.halt.probes.empty();
  auto next = Clock::now();
  try {
    while (!stop_) {
      if (interrupt_signal() != 0) window_cancel->store(true);
      if (!sampling || halted_ || Clock::now() < next) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      next += s.sample_interval;
      SampleOutcome outcome = check(Phase::kDuring, &stop_);
      if (stop_ && !outcome.held) break;  // cut short by the window's end: not a measurement
      const double elapsed = std::chrono::duration<double>(Clock::now() - window_start).count();
      if (!outcome.held) {
        ++consecutive_;
        recorder_.add_violation({{"timestamp", iso_utc(std::chrono::system_clock::now())},
                                 {"t_s", outcome.t},
                                 {"elapsed_s", elapsed},
                                 {"phase", "during"},
                                 {"probes", outcome.failing}});
        recorder_.add_during_state(outcome.state);
        context_.log(fmt::format("[{:8.3f}s] violation: {} ({})", outcome.t,
                                 outcome.failing[0]["probe"].get<std::string>(),
                                 outcome.failing[0]["reason"].get<std::string>()));
      } else {
        consecutive_ = 0;
      }
      const std::size_t total = recorder_.violation_count();
      if (s.halt.max_violations > 0 && total >= static_cast<std::size_t>(s.halt.max_violations))
        halt(fmt::format("{} violations reached max-violations {}", total, s.halt.max_violations), outcome.t,
             window_cancel);
      if (s.halt.max_consecutive_violations > 0 && consecutive_ >= s.halt.max_consecutive_violations)
        halt(fmt::format("{} consecutive violations reached max-consecutive-violations {}", consecutive_,
                         s.halt.max_consecutive_violations),
             outcome.t, window_cancel);
      for (const Activity& guard : s.halt.probes) {
        if (halted_) break;
        ActivityRun run = execute_activity(guard, context_, &stop_, true, false);
        if (!run.ok() && !stop_)
          halt("halt probe '" + guard.name + "': " + (run.tolerance ? run.tolerance->reason : run.error),
               recorder_.seconds_since_start(Clock::now()), window_cancel);
      }
      if (Clock::now() > next) next = Clock::now();  // a slow sample: no burst to catch up
    }
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(mu_);
      failure_ = std::string("sampling failed: ") + e.what();
    }
    window_cancel->store(true);
  }
}

}  // namespace faultline::experiment
