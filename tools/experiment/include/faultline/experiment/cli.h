// The `run`, `schedule` and `report` subcommands, for the faultline CLI's
// main to register (one call each). Callbacks report failures on stderr and
// throw CLI::RuntimeError(exit_code) for a non-zero exit, which CLI11's
// App::exit (and CLI11_PARSE) turns into the process exit code:
//   run       0 hypothesis held, 1 deviated, 2 could not run (bad file, ...)
//   schedule  with --once the worst run's code; else 0 after SIGINT/SIGTERM
//   report    0, or 2 when no journal could be read
#pragma once

#include <CLI/CLI.hpp>

namespace faultline::experiment {

CLI::App* add_run_command(CLI::App& app);
CLI::App* add_schedule_command(CLI::App& app);
CLI::App* add_report_command(CLI::App& app);

}  // namespace faultline::experiment
