// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the
// root app through one add_<name>() listed in main.cpp. A command reports a
// user-facing failure by throwing UserError; main prints it as one line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "faultline/cli/selector.h"

namespace faultline::cli {

struct Command {
  CLI::App* app;             // the subcommand, to see whether it was chosen
  std::function<int()> run;  // its body, run after parsing; returns the exit code
  // Optional: given the words after the subcommand's name, takes away those
  // that are not for CLI11 (launch: "-- PROGRAM ARGS...").
  std::function<void(std::vector<std::string>&)> split_trailing = {};
};

Command add_launch(CLI::App& root);
Command add_ps(CLI::App& root);
Command add_inject(CLI::App& root);
Command add_clear(CLI::App& root);
Command add_db(CLI::App& root);
Command add_kill(CLI::App& root);
Command add_pause(CLI::App& root);
Command add_telemetry(CLI::App& root);
Command add_stats(CLI::App& root);

// -p/-l/-n/--all, shared by every command that addresses targets.
struct SelectorArgs {
  std::vector<std::string> pids, labels, names;
  bool all = false;
};
void add_selector_options(CLI::App& cmd, SelectorArgs& args);
// Parses the selector; no selector at all is a usage error.
Selector make_selector(const SelectorArgs& args, const std::string& command);
// resolve_targets, printing its notes as "faultline: note: ..." on stderr
// (also when it fails: they may say why a target was not found).
std::vector<Target> resolve_and_note(const Selector& selector);

}  // namespace faultline::cli
