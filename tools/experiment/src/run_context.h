// What the providers of one run share: the faults the run injected (so they
// are cleared even when a rollback forgot), telemetry windows, the faultline
// CLI to call, and the run's log.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "faultline/experiment/experiment.h"

namespace faultline::experiment {

class TelemetrySampler;

struct InjectedFault {
  std::vector<std::string> selector;  // CLI selector arguments, e.g. {"-l", "app=md"}
  std::string id;
  std::string activity;
  bool cleared = false;
  nlohmann::json cleanup;  // what the runner's own clear did, if it had to
};

class RunContext {
 public:
  RunContext(const Experiment& experiment, bool quiet);
  ~RunContext();
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  const Experiment& experiment() const noexcept { return experiment_; }
  const std::string& run_id() const noexcept { return run_id_; }

  // The `faultline` CLI: $FAULTLINE_CLI, else next to this executable (or in
  // the build tree's tools/cli), else from PATH.
  const std::string& cli_path() const { return cli_path_; }

  std::string next_fault_id();
  void record_injected(const std::vector<std::string>& selector, const std::string& id,
                       const std::string& activity);
  // A successful `faultline clear`: by id, or (empty id) everything on the selector.
  void record_cleared(const std::vector<std::string>& selector, const std::string& id);
  std::vector<InjectedFault> faults() const;
  void set_cleanup(const std::string& id, nlohmann::json cleanup);

  TelemetrySampler& telemetry() { return *telemetry_; }

  // One line on stderr (unless quiet), never interleaved with another.
  void log(const std::string& line);
  bool quiet() const noexcept { return quiet_; }

 private:
  const Experiment& experiment_;
  bool quiet_;
  std::string run_id_;
  std::string cli_path_;
  mutable std::mutex mu_;
  std::vector<InjectedFault> faults_;
  unsigned next_id_ = 0;
  std::unique_ptr<TelemetrySampler> telemetry_;
  std::mutex log_mu_;
};

// Clears the progress line before a log line is printed (set by the runner).
void set_progress_clearer(void (*clear)());

}  // namespace faultline::experiment
