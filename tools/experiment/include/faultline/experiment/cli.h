// The `run`, `schedule` and `report` subcommands for the faultline CLI. Each
// add_*_command registers its options on `app` and returns the subcommand
// with a run() that executes it (after app.parse(), when app->parsed()) and
// returns the exit code; failures are one line on stderr:
//   run       0 hypothesis held, 1 deviated, 2 could not run (bad file, ...)
//   schedule  with --once the worst run's code; else 0 after SIGINT/SIGTERM
//   report    0, or 2 when no journal could be read
// A Subcommand converts to any {app, run} aggregate such as the CLI's
// cli::Command, so main's command table takes it as it is:
//   const cli::Command commands[] = {..., faultline::experiment::add_run_command(app), ...};
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace faultline::experiment {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;

  template <class Command>
  requires requires(CLI::App* a, std::function<int()> f) { Command{a, f}; }
  operator Command() const { return Command{app, run}; }
};

Subcommand add_run_command(CLI::App& app);
Subcommand add_schedule_command(CLI::App& app);
Subcommand add_report_command(CLI::App& app);

}  // namespace faultline::experiment
