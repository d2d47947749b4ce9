// Running an experiment: the steady state checked before, the method run
// while the hypothesis is sampled continuously, halt conditions, rollbacks
// that always run (also on errors and SIGINT/SIGTERM), the faults the run
// injected cleared, recovery measured, and a Chaos Toolkit journal.
#pragma once

#include <nlohmann/json.hpp>

#include "faultline/experiment/experiment.h"

namespace faultline::experiment {

// Exit codes of `faultline run`.
inline constexpr int kExitHeld = 0;
inline constexpr int kExitDeviated = 1;
inline constexpr int kExitCouldNotRun = 2;

struct RunOptions {
  bool quiet = false;    // no log lines or progress on stderr
  bool progress = true;  // a live line on a terminal, periodic lines otherwise
};

struct RunResult {
  int exit_code = kExitCouldNotRun;
  nlohmann::json journal;  // Chaos Toolkit's journal plus a "faultline" block
};

RunResult run_experiment(const Experiment& experiment, const RunOptions& options = {});

}  // namespace faultline::experiment
