// faultline-experiment: run/schedule/report without the rest of the CLI
// (tests run it as a child process).
#include "faultline/experiment/cli.h"

int main(int argc, char** argv) {
  namespace fx = faultline::experiment;
  CLI::App app{"faultline experiment runner"};
  app.require_subcommand(1);
  const fx::Subcommand commands[] = {fx::add_run_command(app), fx::add_schedule_command(app),
                                     fx::add_report_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return 2;
}
