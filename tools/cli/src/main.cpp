// faultline: the control CLI. Every failure is one line on stderr,
// "faultline: <what went wrong>: <what was expected>", and a non-zero exit:
// 1 for a bad value, a missing target or a rejected command, 2 for a
// malformed command line.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/experiment/cli.h"

namespace {

using faultline::cli::kExitUsage;

// CLI11's own errors (unknown option, missing argument) as one line, with the
// help of the subcommand that was being parsed.
std::string one_line_failure(const CLI::App* app, const CLI::Error& e) {
  std::string command = "faultline";
  for (const CLI::App* sub = app; sub != nullptr;) {
    const auto chosen = sub->get_subcommands();
    sub = chosen.empty() ? nullptr : chosen.front();
    if (sub != nullptr) command += " " + sub->get_name();
  }
  std::string what = e.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  while (!what.empty() && what.back() == ' ') what.pop_back();
  // "The following..." reads on after "faultline: " in lower case; "FAULT is..." keeps its name.
  if (what.size() > 1 && std::islower(static_cast<unsigned char>(what[1])))
    what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  return "faultline: " + what + ": run '" + command + " --help' for the expected usage\n";
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = faultline::cli;
  CLI::App app{"faultline: in-process fault injection for processes started with 'faultline launch'",
               "faultline"};
  app.require_subcommand(1);
  app.failure_message(one_line_failure);
  const cli::Command commands[] = {
      cli::add_launch(app),
      cli::add_ps(app),
      cli::add_inject(app),
      cli::add_clear(app),
      cli::add_db(app),
      cli::add_kill(app),
      cli::add_pause(app),
      cli::add_telemetry(app),
      cli::add_stats(app),
      faultline::experiment::add_run_command(app),
      faultline::experiment::add_schedule_command(app),
      faultline::experiment::add_report_command(app),
  };
  // CLI11 would call an unknown command a missing one; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const cli::Command& c : commands) {
      known += (known.empty() ? "" : ", ") + c.app->get_name();
      found = found || c.app->check_name(argv[1]);
    }
    if (!found) {
      std::cerr << "faultline: unknown command '" << argv[1] << "': expected one of " << known << "\n";
      return kExitUsage;
    }
  }
  std::vector<std::string> words(argv + 1, argv + argc);
  for (const cli::Command& c : commands) {
    if (!c.split_trailing || words.empty() || !c.app->check_name(words[0])) continue;
    std::vector<std::string> rest(words.begin() + 1, words.end());
    c.split_trailing(rest);
    words.resize(1);
    words.insert(words.end(), rest.begin(), rest.end());
  }
  std::reverse(words.begin(), words.end());  // CLI11 consumes the vector from the back
  try {
    app.parse(words);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // help and version print and return 0
    return code == 0 ? 0 : kExitUsage;
  }
  for (const cli::Command& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const cli::UserError& e) {
      std::cerr << "faultline: " << e.what() << "\n";
      return e.exit_code();
    } catch (const std::exception& e) {
      std::cerr << "faultline: internal error: " << e.what() << ": expected none, please report it\n";
      return cli::kExitUserError;
    }
  }
  return kExitUsage;
}
