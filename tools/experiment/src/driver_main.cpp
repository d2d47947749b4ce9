// faultline-experiment: run/schedule/report without the rest of the CLI
// (tests run it as a child process).
#include "faultline/experiment/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"faultline experiment runner"};
  app.require_subcommand(1);
  faultline::experiment::add_run_command(app);
  faultline::experiment::add_schedule_command(app);
  faultline::experiment::add_report_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
