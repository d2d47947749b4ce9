// The run: before -> method (fault window, sampled) -> rollbacks and the
// runner's own fault cleanup -> recovery -> after. Rollbacks and cleanup run
// whatever happened before them.
#include "faultline/experiment/runner.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "activity.h"
#include "faultline/experiment/duration.h"
#include "monitor.h"
#include "run_context.h"
#include "signals.h"
#include "subprocess.h"
#include "telemetry_probe.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

constexpr const char* kChaoslibVersion = "1.42.0";  // the journal format we follow
constexpr const char* kFaultlineVersion = "0.1.0";

std::string platform_text() {
  utsname u{};
  if (::uname(&u) != 0) return "Linux";
  return fmt::format("{}-{}-{}", u.sysname, u.release, u.machine);
}

std::string node_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// The live progress line: redrawn in place on a terminal, else a line now
// and then so that logs of long runs show life.
class Progress {
 public:
  Progress(bool enabled) : enabled_(enabled), tty_(enabled && ::isatty(2) == 1) {
    if (tty_) {
      active_ = this;
      set_progress_clearer(&Progress::clear_active);
    }
  }
  ~Progress() {
    if (tty_) {
      clear();
      set_progress_clearer(nullptr);
      active_ = nullptr;
    }
  }
  void update(const std::string& text) {
    if (!enabled_) return;
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (tty_) {
      if (now - last_ < std::chrono::milliseconds(100)) return;
      std::string line = text.size() > 110 ? text.substr(0, 110) : text;
      std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
      shown_ = true;
    } else {
      if (now - last_ < std::chrono::seconds(10)) return;
      std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
    last_ = now;
  }
  void clear() {
    std::lock_guard lock(mu_);
    if (shown_) {
      std::fprintf(stderr, "\r\x1b[K");
      std::fflush(stderr);
      shown_ = false;
    }
  }

 private:
  static void clear_active() {
    if (active_ != nullptr) active_->clear();
  }
  static inline Progress* active_ = nullptr;
  bool enabled_, tty_;
  bool shown_ = false;
  std::mutex mu_;
  Clock::time_point last_{};
};

struct BackgroundRun {
  std::thread thread;
  ActivityRun result;
  std::atomic<bool> done{false};
};

class Runner {
 public:
  Runner(const Experiment& e, const RunOptions& o)
      : e_(e),
        context_(e, o.quiet),
        origin_(Clock::now()),
        wall_origin_(std::chrono::system_clock::now()),
        recorder_(origin_),
        monitor_(e, context_, recorder_),
        progress_(!o.quiet && o.progress) {}

  RunResult run() {
    journal_ = {{"chaoslib-version", kChaoslibVersion},
                {"platform", platform_text()},
                {"node", node_name()},
                {"experiment", e_.declared},
                {"start", iso_utc(wall_origin_)},
                {"status", nullptr},
                {"deviated", false},
                {"steady_states", {{"before", nullptr}, {"after", nullptr}, {"during", Json::array()}}},
                {"run", Json::array()},
                {"rollbacks", Json::array()}};
    log(fmt::format("experiment: {}", e_.title));
    try {
      before_and_method();
    } catch (const std::exception& e) {
      aborted_ = std::string("runner error: ") + e.what();
      window_cancel_ = true;
      log(aborted_);
    }
    finish_window();
    rollbacks();
    clear_leftover_faults();
    if (method_ran_ && interrupt_signal() == 0 && aborted_.empty()) {
      try {
        recovery_and_after();
      } catch (const std::exception& e) {
        aborted_ = std::string("runner error after the method: ") + e.what();
      }
    }
    return finish();
  }

 private:
  void log(const std::string& line) { context_.log(fmt::format("[{:8.3f}s] {}", now_s(), line)); }
  double now_s() const { return recorder_.seconds_since_start(Clock::now()); }

  void before_and_method() {
    const RunSettings& s = e_.settings;
    if (!e_.hypothesis.empty()) {
      log(fmt::format("steady state before: {}", e_.hypothesis_title));
      SampleOutcome gate = monitor_.check(Phase::kBefore, nullptr);
      journal_["steady_states"]["before"] = gate.state;
      bool held = gate.held;
      Json failing = gate.failing;
      const auto baseline_end = Clock::now() + s.baseline;
      auto next = Clock::now() + s.sample_interval;
      while (held && Clock::now() < baseline_end && interrupt_signal() == 0) {
        progress_.update(fmt::format("baseline {:.1f}s/{}", now_s(), format_duration(s.baseline)));
        if (!sleep_until(next)) break;
        next += s.sample_interval;
        SampleOutcome sample = monitor_.check(Phase::kBefore, nullptr);
        if (!sample.held) {
          held = false;
          failing = sample.failing;
          journal_["steady_states"]["before"] = sample.state;
        }
      }
      if (interrupt_signal() != 0) return;
      if (!held) {
        gate_failed_ = true;
        gate_reason_ = failing.empty() ? ""
                                       : failing[0]["probe"].get<std::string>() + ": " +
                                             failing[0]["reason"].get<std::string>();
        log("steady state does not hold before the method (" + gate_reason_ + "): nothing is injected");
        return;
      }
      log("steady state holds");
    }

    context_.telemetry().reset_windows();
    method_ran_ = true;
    window_start_ = Clock::now();
    window_start_wall_ = std::chrono::system_clock::now();
    log(fmt::format("method: {} activities, sampling every {}", e_.method.size(),
                    format_duration(s.sample_interval)));
    monitor_.start(&window_cancel_, window_start_);

    backgrounds_.reserve(e_.method.size());
    for (std::size_t i = 0; i < e_.method.size(); ++i) {
      if (window_cancel_) break;
      const Activity& a = e_.method[i];
      if (a.background) {
        auto bg = std::make_unique<BackgroundRun>();
        BackgroundRun* raw = bg.get();
        raw->thread = std::thread([this, raw, &a] {
          try {
            raw->result = execute_activity(a, context_, &window_cancel_, false, true);
          } catch (const std::exception& ex) {
            raw->result.error = std::string("runner error: ") + ex.what();
            raw->result.record = {{"activity", a.declared},
                                  {"status", "failed"},
                                  {"output", nullptr},
                                  {"exception", Json::array({raw->result.error})}};
          }
          raw->done = true;
        });
        method_slots_.push_back({i, raw});
        backgrounds_.push_back(std::move(bg));
        log(fmt::format("{} '{}' started in the background", a.type, a.name));
        continue;
      }
      log(fmt::format("{} '{}'", a.type, a.name));
      ActivityRun r = execute_activity(a, context_, &window_cancel_, false, true);
      if (!r.succeeded) log(fmt::format("{} '{}' failed: {}", a.type, a.name, r.error));
      note_method_result(a, r);
      foreground_.emplace(i, std::move(r));
    }

    // The window lasts at least `duration` and until background activities end.
    while (!window_cancel_) {
      const bool min_elapsed = Clock::now() - window_start_ >= s.duration;
      bool all_done = true;
      for (const auto& bg : backgrounds_) all_done = all_done && bg->done.load();
      if (min_elapsed && all_done) break;
      if (interrupt_signal() != 0) break;
      progress_.update(fmt::format("fault window {:.1f}s{} | samples {} | violations {}",
                                   std::chrono::duration<double>(Clock::now() - window_start_).count(),
                                   s.duration.count() > 0 ? "/" + format_duration(s.duration) : "",
                                   recorder_.samples().size(), recorder_.violation_count()));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void note_method_result(const Activity& a, const ActivityRun& r) {
    if (!r.succeeded && a.type == "action") failed_actions_.push_back(a.name + ": " + r.error);
  }

  bool sleep_until(Clock::time_point t) {
    while (Clock::now() < t) {
      if (interrupt_signal() != 0) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(5)));
    }
    return true;
  }

  // Ends the window: stops sampling and background activities, gathers the
  // method's records in declaration order.
  void finish_window() {
    if (interrupt_signal() != 0 && !interrupted_) {
      interrupted_ = true;
      log(fmt::format("interrupted by signal {}: stopping the method, rolling back", interrupt_signal()));
    }
    if (!method_ran_) return;
    window_end_ = Clock::now();
    window_cancel_ = true;  // stops what still runs: pauses, kill --every, long probes
    monitor_.stop();
    for (auto& bg : backgrounds_)
      if (bg->thread.joinable()) bg->thread.join();
    if (monitor_.halted()) log("halted: " + monitor_.halt_reason());
    if (!monitor_.failure().empty() && aborted_.empty()) aborted_ = monitor_.failure();
    std::size_t bg_index = 0;
    for (std::size_t i = 0; i < e_.method.size(); ++i) {
      if (auto it = foreground_.find(i); it != foreground_.end()) {
        journal_["run"].push_back(it->second.record);
      } else if (bg_index < method_slots_.size() && method_slots_[bg_index].index == i) {
        const ActivityRun& r = method_slots_[bg_index++].run->result;
        note_method_result(e_.method[i], r);
        journal_["run"].push_back(r.record);
      }
    }
    log(fmt::format("fault window ended after {:.3f}s: {} samples, {} violations",
                    std::chrono::duration<double>(window_end_ - window_start_).count(),
                    recorder_.samples().size(), recorder_.violation_count()));
  }

  void rollbacks() {
    if (!e_.rollbacks.empty()) log(fmt::format("rollbacks: {}", e_.rollbacks.size()));
    for (const Activity& a : e_.rollbacks) {
      try {
        ActivityRun r = execute_activity(a, context_, nullptr, false, true);
        if (!r.succeeded) log(fmt::format("rollback '{}' failed: {}", a.name, r.error));
        journal_["rollbacks"].push_back(r.record);
      } catch (const std::exception& ex) {
        log(fmt::format("rollback '{}' failed: {}", a.name, ex.what()));
        journal_["rollbacks"].push_back(
            {{"activity", a.declared},
             {"status", "failed"},
             {"output", nullptr},
             {"exception", Json::array({std::string("runner error: ") + ex.what()})}});
      }
    }
  }

  // Every fault this run injected and nobody cleared is cleared here.
  void clear_leftover_faults() {
    for (const InjectedFault& f : context_.faults()) {
      if (f.cleared) continue;
      std::vector<std::string> argv{context_.cli_path(), "clear"};
      argv.insert(argv.end(), f.selector.begin(), f.selector.end());
      argv.insert(argv.end(), {"--id", f.id});
      Json cleanup;
      try {
        const SubprocessResult r = run_subprocess(argv, std::chrono::seconds(10), nullptr);
        cleanup = {{"command", argv}, {"status", r.status}, {"stderr", r.err}};
        if (r.status == 0) context_.record_cleared(f.selector, f.id);
        log(fmt::format("cleared fault {} left by '{}' (exit {})", f.id, f.activity, r.status));
      } catch (const std::exception& ex) {
        cleanup = {{"command", argv}, {"error", ex.what()}};
        log(fmt::format("could not clear fault {}: {}", f.id, ex.what()));
      }
      context_.set_cleanup(f.id, cleanup);
    }
  }

  void recovery_and_after() {
    if (e_.hypothesis.empty()) return;
    const RunSettings& s = e_.settings;
    context_.telemetry().reset_windows();
    const auto recovery_deadline = window_end_ + s.recovery_timeout;
    log("checking recovery");
    auto next = Clock::now();
    while (true) {
      if (!sleep_until(next)) return;
      next += s.sample_interval;
      SampleOutcome sample = monitor_.check(Phase::kAfter, nullptr);
      if (sample.held) {
        time_to_recover_ = std::chrono::duration<double>(Clock::now() - window_end_).count();
        recovered_ = true;
        log(fmt::format("recovered {:.3f}s after the fault window", *time_to_recover_));
        break;
      }
      if (Clock::now() >= recovery_deadline) {
        log(fmt::format("not recovered within {}", format_duration(s.recovery_timeout)));
        break;
      }
      progress_.update(fmt::format("recovering {:.1f}s/{}",
                                   std::chrono::duration<double>(Clock::now() - window_end_).count(),
                                   format_duration(s.recovery_timeout)));
    }
    if (!sleep_until(window_end_ + s.grace_period)) return;
    log(fmt::format("steady state after: {}", e_.hypothesis_title));
    SampleOutcome after = monitor_.check(Phase::kAfter, nullptr);
    journal_["steady_states"]["after"] = after.state;
    after_held_ = after.held;
    if (!after.held)
      log("steady state does not hold after the experiment: " + after.failing[0]["probe"].get<std::string>() +
          ": " + after.failing[0]["reason"].get<std::string>());
  }

  Json p99_headline(const Json& latency) const {
    // Prefer the first telemetry histogram probe: exact percentiles of the target's calls.
    const Json* chosen = nullptr;
    for (const auto& l : latency)
      if (l.value("source", "") == "telemetry histogram") {
        chosen = &l;
        break;
      }
    if (chosen == nullptr && !latency.empty()) chosen = &latency[0];
    if (chosen == nullptr) return nullptr;
    Json out{{"probe", (*chosen)["probe"]}, {"source", (*chosen)["source"]}};
    for (const char* phase : {"before", "during", "after"}) {
      const Json& p = (*chosen)[phase];
      out[phase] = p.is_object() ? p["p99"] : Json(nullptr);
    }
    return out;
  }

  RunResult finish() {
    if (interrupt_signal() != 0) interrupted_ = true;
    const auto end_wall = std::chrono::system_clock::now();
    const RunSettings& s = e_.settings;
    const std::size_t violations = recorder_.violation_count();
    Json reasons = Json::array();
    if (violations > static_cast<std::size_t>(s.allowed_violations))
      reasons.push_back(fmt::format("{} violation(s) during the fault window (allowed {})", violations,
                                    s.allowed_violations));
    if (monitor_.halted()) reasons.push_back("halted: " + monitor_.halt_reason());
    if (method_ran_ && !interrupted_ && aborted_.empty() && !e_.hypothesis.empty()) {
      if (!recovered_) reasons.push_back("did not recover within " + format_duration(s.recovery_timeout));
      if (recovered_ && s.max_time_to_recover && time_to_recover_ &&
          *time_to_recover_ > to_seconds(*s.max_time_to_recover))
        reasons.push_back(fmt::format("recovered after {:.3f}s, more than max-time-to-recover {}",
                                      *time_to_recover_, format_duration(*s.max_time_to_recover)));
      if (!after_held_) reasons.push_back("steady state does not hold after the experiment");
    }
    const bool deviated = !reasons.empty();

    std::string status = "completed";
    int exit_code = kExitHeld;
    if (gate_failed_) {
      status = "failed";
      exit_code = kExitCouldNotRun;
    } else if (deviated) {
      status = "failed";
      exit_code = kExitDeviated;
    }
    if (!aborted_.empty()) {
      status = "aborted";
      if (!deviated) exit_code = kExitCouldNotRun;
    }
    if (interrupted_) {
      status = "interrupted";
      if (!deviated) exit_code = kExitCouldNotRun;
    }
    if (exit_code == kExitHeld && !failed_actions_.empty()) exit_code = kExitCouldNotRun;

    journal_["end"] = iso_utc(end_wall);
    journal_["duration"] = std::chrono::duration<double>(Clock::now() - origin_).count();
    journal_["status"] = status;
    journal_["deviated"] = deviated;
    journal_["steady_states"]["during"] = recorder_.during_states();

    Json faults = Json::array();
    for (const InjectedFault& f : context_.faults())
      faults.push_back({{"id", f.id},
                        {"selector", f.selector},
                        {"activity", f.activity},
                        {"cleared", f.cleared},
                        {"runner_cleanup", f.cleanup}});
    const Json latency = recorder_.latency();
    Json fl{
        {"version", kFaultlineVersion},
        {"experiment_file", e_.file},
        {"exit_code", exit_code},
        {"settings",
         {{"sample_interval_s", to_seconds(s.sample_interval)},
          {"duration_s", to_seconds(s.duration)},
          {"baseline_s", to_seconds(s.baseline)},
          {"grace_period_s", to_seconds(s.grace_period)},
          {"recovery_timeout_s", to_seconds(s.recovery_timeout)},
          {"max_time_to_recover_s",
           s.max_time_to_recover ? Json(to_seconds(*s.max_time_to_recover)) : Json()},
          {"allowed_violations", s.allowed_violations}}},
        {"hypothesis", e_.hypothesis_title},
        {"probes", Json::array()},
        {"steady_state_before", gate_failed_  ? Json(false)
                                : method_ran_ ? Json(true)
                                              : Json(nullptr)},
        {"gate_reason", gate_reason_.empty() ? Json() : Json(gate_reason_)},
        {"window", nullptr},
        {"violations", recorder_.violations()},
        {"violation_count", violations},
        {"halted", monitor_.halted() ? Json{{"reason", monitor_.halt_reason()}, {"t_s", monitor_.halted_at()}}
                                     : Json()},
        {"interrupted", interrupted_ ? Json(interrupt_signal()) : Json()},
        {"aborted", aborted_.empty() ? Json() : Json(aborted_)},
        {"failed_actions", failed_actions_},
        {"deviation_reasons", reasons},
        {"recovered", method_ran_ && !e_.hypothesis.empty() ? Json(recovered_) : Json()},
        {"time_to_recover_s", time_to_recover_ ? Json(*time_to_recover_) : Json()},
        {"p99_ms", p99_headline(latency)},
        {"latency", latency},
        {"faults", faults},
        {"during_states_dropped", recorder_.during_states_dropped()},
        {"samples", recorder_.samples()}};
    for (const Activity& p : e_.hypothesis)
      fl["probes"].push_back(
          {{"name", p.name}, {"tolerance", *p.tolerance}, {"provider", p.provider.value("type", "")}});
    if (method_ran_)
      fl["window"] = {{"start_s", recorder_.seconds_since_start(window_start_)},
                      {"end_s", recorder_.seconds_since_start(window_end_)},
                      {"start", iso_utc(window_start_wall_)},
                      {"end", iso_utc(window_start_wall_ +
                                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                          window_end_ - window_start_))}};
    journal_["faultline"] = fl;
    progress_.clear();
    log(fmt::format("{}: exit {}", deviated ? "deviated" : status, exit_code));
    return {exit_code, journal_};
  }

  struct MethodSlot {
    std::size_t index;
    BackgroundRun* run;
  };

  const Experiment& e_;
  RunContext context_;
  Clock::time_point origin_;
  std::chrono::system_clock::time_point wall_origin_;
  Recorder recorder_;
  Monitor monitor_;
  Progress progress_;
  Json journal_;
  std::atomic<bool> window_cancel_{false};
  bool method_ran_ = false, gate_failed_ = false, interrupted_ = false, recovered_ = false,
       after_held_ = true;
  std::string gate_reason_, aborted_;
  std::optional<double> time_to_recover_;
  Clock::time_point window_start_{}, window_end_{};
  std::chrono::system_clock::time_point window_start_wall_{};
  std::vector<std::unique_ptr<BackgroundRun>> backgrounds_;
  std::vector<MethodSlot> method_slots_;
  std::map<std::size_t, ActivityRun> foreground_;
  std::vector<std::string> failed_actions_;
};

}  // namespace

RunResult run_experiment(const Experiment& experiment, const RunOptions& options) {
  InterruptGuard guard;
  reset_interrupt();
  Runner runner(experiment, options);
  RunResult result = runner.run();
  return result;
}

}  // namespace faultline::experiment
