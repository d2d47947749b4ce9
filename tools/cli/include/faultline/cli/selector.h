// Which targets a command addresses: -p PID (repeatable), -l KEY=VAL[,...]
// (every pair must be among the target's labels), -n NAME (the program
// name, repeatable), or --all. Criteria of different kinds must all hold.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "faultline/cli/parse.h"
#include "faultline/controlplane/client.h"

namespace faultline::cli {

struct Selector {
  std::vector<pid_t> pids;
  Labels labels;
  std::vector<std::string> names;
  bool all = false;

  bool empty() const { return pids.empty() && labels.empty() && names.empty() && !all; }
  // As typed: "-p 12 -l app=x,zone=a -n md" or "--all".
  std::string describe() const;
  // Does a target with this pid, program and published labels match?
  bool matches(pid_t pid, std::string_view program, std::string_view labels) const;
};

struct Target {
  cp::Client client;
  std::string program;
  std::string labels;
  pid_t pid() const { return client.pid(); }
  std::string name() const { return std::to_string(pid()) + " " + program; }  // "1234 order-service"
};

// Attaches to every live, compatible target the selector matches (never this
// process), giving a matching target that is still starting up to a second
// to run its apply thread. Segments that cannot be used (other ABI, apply
// thread gone) are skipped with a line in `notes` (other users' silently);
// if the selector names such a pid with -p, or matches nothing, throws
// UserError naming the targets that are running, with `notes` filled.
std::vector<Target> resolve_targets(const Selector& selector, std::vector<std::string>* notes);

// "1234 order-service, 1240 order-service"
std::string target_names(const std::vector<Target>& targets);

}  // namespace faultline::cli
