#include "faultline/experiment/cli.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "faultline/experiment/experiment.h"
#include "faultline/experiment/load_error.h"
#include "faultline/experiment/outputs.h"
#include "faultline/experiment/report.h"
#include "faultline/experiment/runner.h"
#include "faultline/experiment/schedule.h"

namespace faultline::experiment {

namespace {

void error_line(const std::string& text) {
  std::fprintf(stderr, "faultline: %s\n", text.c_str());
  std::fflush(stderr);
}

std::string extension(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot);
}

// Anything unexpected is one line and "could not run", never a crash of the CLI.
template <class F, class A>
int guarded(F f, const A& args) {
  try {
    return f(args);
  } catch (const std::exception& e) {
    error_line(std::string("internal error: ") + e.what());
    return kExitCouldNotRun;
  }
}

struct RunArgs {
  std::string experiment, journal, junit, report, svg;
  std::vector<std::string> vars;
  bool quiet = false, no_progress = false, check = false;
};

int run_command(const RunArgs& a) {
  Vars vars;
  for (const auto& v : a.vars) {
    const auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      error_line("--var '" + v + "': expected KEY=VALUE");
      return kExitCouldNotRun;
    }
    vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  Experiment experiment;
  try {
    experiment = load_experiment(a.experiment, vars);
  } catch (const LoadError& e) {
    error_line(e.what());
    return kExitCouldNotRun;
  }
  if (a.check) {
    std::printf("%s: valid (%zu steady-state probe(s), %zu method activity(ies), %zu rollback(s))\n",
                a.experiment.c_str(), experiment.hypothesis.size(), experiment.method.size(),
                experiment.rollbacks.size());
    return 0;
  }
  RunOptions options;
  options.quiet = a.quiet;
  options.progress = !a.no_progress;
  const RunResult result = run_experiment(experiment, options);
  int code = result.exit_code;
  const auto write = [&](const std::string& path, const std::string& content) {
    if (path.empty()) return;
    try {
      write_text_file(path, content);
    } catch (const std::exception& e) {
      error_line(e.what());
      code = code == kExitHeld ? kExitCouldNotRun : code;
    }
  };
  write(a.journal, result.journal.dump(2) + "\n");
  write(a.junit, junit_xml(result.journal));
  write(a.svg, timeline_svg(result.journal));
  if (!a.report.empty())
    write(a.report,
          extension(a.report) == ".svg" ? timeline_svg(result.journal) : summary_text(result.journal));
  std::fputs(summary_text(result.journal).c_str(), stdout);
  std::fflush(stdout);
  return code;
}

}  // namespace

Subcommand add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run",
                                     "Run a Chaos Toolkit experiment (JSON or YAML) with continuous "
                                     "steady-state monitoring; exit 0 held, 1 deviated, 2 could not run");
  cmd->add_option("experiment", args->experiment, "experiment file (.json, .yaml)")->required();
  cmd->add_option("--journal", args->journal, "write the journal (JSON) here");
  cmd->add_option("--junit", args->junit, "write JUnit XML here");
  cmd->add_option("--report", args->report,
                  "write the summary here (an SVG timeline if the name ends in .svg)");
  cmd->add_option("--svg", args->svg, "write the SVG timeline here");
  cmd->add_option("--var", args->vars, "override a configuration value: KEY=VALUE (repeatable)");
  cmd->add_flag("--check", args->check, "validate the experiment and exit");
  cmd->add_flag("-q,--quiet", args->quiet, "no log or progress on stderr");
  cmd->add_flag("--no-progress", args->no_progress, "no progress line");
  return {cmd, [args] { return guarded(run_command, *args); }};
}

Subcommand add_schedule_command(CLI::App& app) {
  struct Args {
    std::string file, history, now;
    bool once = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("schedule",
                                     "Run experiments on cron schedules "
                                     "({\"experiments\":[{name, schedule, enabled, path}]})");
  cmd->add_option("schedule", args->file, "schedule file (JSON or YAML)")->required();
  cmd->add_option("--history", args->history,
                  "folder for journals and the scheduler's state (default: history/ "
                  "next to the schedule)");
  cmd->add_flag("--once", args->once, "run what is due now and exit");
  cmd->add_option("--now", args->now, "with --once: the local time to act at, e.g. 2026-12-07T02:00");
  cmd->add_flag("-q,--quiet", args->quiet, "no log on stderr");
  return {cmd, [args] {
            ScheduleOptions options;
            options.history = args->history;
            options.once = args->once;
            options.quiet = args->quiet;
            if (!args->now.empty()) {
              options.now = parse_civil_minute(args->now);
              if (!options.now) {
                error_line("--now '" + args->now + "': expected a local time like 2026-12-07T02:00");
                return kExitCouldNotRun;
              }
              if (!args->once) {
                error_line("--now needs --once");
                return kExitCouldNotRun;
              }
            }
            try {
              const Schedule schedule = load_schedule(args->file);
              return run_schedule(schedule, options);
            } catch (const std::exception& e) {
              error_line(e.what());
              return kExitCouldNotRun;
            }
          }};
}

Subcommand add_report_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> inputs;
    std::string svg;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("report", "MTTR, deviations per week and P99 during failure from journals");
  cmd->add_option("journals", args->inputs, "journal files or history folders")->required();
  cmd->add_option("--svg", args->svg, "write an SVG chart here");
  cmd->add_flag("--json", args->json, "print the aggregate as JSON");
  return {cmd, [args] {
            std::vector<std::filesystem::path> inputs(args->inputs.begin(), args->inputs.end());
            std::vector<std::string> warnings;
            const auto journals = load_journals(inputs, &warnings);
            for (const auto& w : warnings) error_line("skipped " + w);
            if (journals.empty()) {
              error_line("no journal to report on");
              return kExitCouldNotRun;
            }
            const auto aggregate = aggregate_journals(journals);
            if (args->json)
              std::cout << aggregate.dump(2) << "\n";
            else
              std::cout << report_table(aggregate);
            if (!args->svg.empty()) {
              try {
                write_text_file(args->svg, report_svg(aggregate));
              } catch (const std::exception& e) {
                error_line(e.what());
                return kExitCouldNotRun;
              }
            }
            return 0;
          }};
}

}  // namespace faultline::experiment
