// `faultline schedule`: the seed's schedule file
//   {"experiments": [{"name", "schedule" (cron), "enabled", "path"}]}
// with each path relative to the schedule file. Journals go to a history
// folder as <name>-<UTC timestamp>.json; a state file there makes restarts
// neither run an occurrence twice nor run a storm of missed ones (at most
// one missed occurrence runs, and the log says so). Runs never overlap:
// entries run one at a time, and across schedulers a per-user lock is held.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "faultline/experiment/cron.h"
#include "faultline/experiment/runner.h"

namespace faultline::experiment {

struct ScheduleEntry {
  std::string name;
  CronExpr cron;
  bool enabled = true;
  std::filesystem::path path;  // resolved against the schedule file's folder
  int line = 0;
};

struct Schedule {
  std::string file;
  std::vector<ScheduleEntry> entries;
};

// Throws LoadError (file:line: what was expected).
Schedule load_schedule(const std::filesystem::path& path);

struct ScheduleOptions {
  std::filesystem::path history;   // default: <schedule folder>/history
  bool once = false;               // run what is due now, then return
  std::optional<CivilMinute> now;  // a fake clock for --once (tests)
  bool quiet = false;
  std::string lock_dir;  // default: $XDG_RUNTIME_DIR or /tmp/faultline-<uid>
};

// Returns the exit code: with `once`, the worst of the runs (0 held or
// nothing due, 1 deviated, 2 could not run); otherwise 0 after SIGINT/SIGTERM.
int run_schedule(const Schedule& schedule, const ScheduleOptions& options);

// The occurrences of `cron` in (after, until]: how many (capped at `cap`)
// and the latest one.
struct Due {
  long long count = 0;
  std::optional<CivilMinute> latest;
};
Due due_between(const CronExpr& cron, const CivilMinute& after, const CivilMinute& until,
                long long cap = 100000);

}  // namespace faultline::experiment
