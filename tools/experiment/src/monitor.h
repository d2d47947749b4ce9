// Sampling the steady-state hypothesis: one check of every probe is a
// sample; during the fault window a thread samples at the run's interval,
// records violations and watches the halt conditions.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "faultline/experiment/experiment.h"

namespace faultline::experiment {

class RunContext;

using Clock = std::chrono::steady_clock;

enum class Phase { kBefore = 0, kDuring = 1, kAfter = 2 };
const char* phase_name(Phase phase);

struct SampleOutcome {
  bool held = true;
  nlohmann::json state;  // Chaos Toolkit: {"steady_state_met", "probes": [run records]}
  nlohmann::json failing = nlohmann::json::array();  // [{probe, reason, value}]
  double t = 0;                                      // seconds since the run started
};

// Everything the run measures over time; shared by the sampling thread and
// the runner.
class Recorder {
 public:
  explicit Recorder(Clock::time_point origin) : origin_(origin) {}

  double seconds_since_start(Clock::time_point t) const {
    return std::chrono::duration<double>(t - origin_).count();
  }

  void add_sample(Phase phase, double t, const nlohmann::json& values, const nlohmann::json& met);
  void add_violation(nlohmann::json violation);
  void add_during_state(const nlohmann::json& state);
  void add_latency(const std::string& probe, Phase phase, double ms);
  void add_histogram(const std::string& probe, Phase phase, const std::vector<std::uint64_t>& buckets,
                     double unit_ns);

  std::size_t violation_count() const;
  nlohmann::json samples() const;
  nlohmann::json violations() const;
  nlohmann::json during_states() const;
  std::size_t during_states_dropped() const;
  // Per probe: {"probe", "unit": "ms", "source", "before"/"during"/"after": {count, p50, p99, max}}.
  nlohmann::json latency() const;

 private:
  struct PhaseLatency {
    std::vector<double> values_ms;
    std::vector<std::uint64_t> buckets;
    double unit_ns = 1e6;
  };
  Clock::time_point origin_;
  mutable std::mutex mu_;
  nlohmann::json samples_ = nlohmann::json::array();
  nlohmann::json violations_ = nlohmann::json::array();
  nlohmann::json during_ = nlohmann::json::array();
  std::size_t during_dropped_ = 0;
  std::vector<std::string> latency_order_;
  std::map<std::string, std::map<int, PhaseLatency>> latency_;
};

class Monitor {
 public:
  Monitor(const Experiment& experiment, RunContext& context, Recorder& recorder)
      : experiment_(experiment), context_(context), recorder_(recorder) {}
  ~Monitor() { stop(); }

  // One check of every hypothesis probe, recorded as a sample of `phase`.
  SampleOutcome check(Phase phase, const std::atomic<bool>* cancel);

  // Samples every interval until stop(); sets *window_cancel on a halt
  // condition, a signal or a runner failure in the thread.
  void start(std::atomic<bool>* window_cancel, Clock::time_point window_start);
  void stop();

  bool halted() const { return halted_.load(); }
  std::string halt_reason() const;
  std::string failure() const;  // a runner error in the sampling thread
  double halted_at() const { return halted_at_; }

 private:
  void loop(std::atomic<bool>* window_cancel, Clock::time_point window_start);
  void halt(const std::string& reason, double t, std::atomic<bool>* window_cancel);

  const Experiment& experiment_;
  RunContext& context_;
  Recorder& recorder_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> halted_{false};
  double halted_at_ = 0;
  mutable std::mutex mu_;
  std::string halt_reason_, failure_;
  int consecutive_ = 0;
};

}  // namespace faultline::experiment
