#include <iostream>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {

void add_selector_options(CLI::App& cmd, SelectorArgs& args) {
  // One value per occurrence, so "-p 12 latency" leaves FAULT alone.
  const char* group = "Target selection (criteria of different kinds must all hold)";
  cmd.add_option("-p,--pid", args.pids, "Target process id (repeatable)")
      ->group(group)
      ->type_name("PID")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("-l,--label", args.labels, "Targets whose labels include KEY=VAL[,KEY=VAL] (repeatable)")
      ->group(group)
      ->type_name("KEY=VAL")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("-n,--name", args.names, "Targets whose program name is NAME (repeatable)")
      ->group(group)
      ->type_name("NAME")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_flag("--all", args.all, "Every faultline target of this user")->group(group);
}

Selector make_selector(const SelectorArgs& args, const std::string& command) {
  Selector s;
  for (const std::string& p : args.pids) {
    const std::uint64_t pid = parse_count(p, "-p", 0x7fffffff);
    if (pid == 0) throw UserError("invalid pid '0' for -p: expected a process id");
    s.pids.push_back(static_cast<pid_t>(pid));
  }
  for (const std::string& l : args.labels) {
    Labels parsed = parse_labels(l, "-l");
    s.labels.insert(s.labels.end(), parsed.begin(), parsed.end());
  }
  s.names = args.names;
  s.all = args.all;
  if (s.all && (!s.pids.empty() || !s.labels.empty() || !s.names.empty()))
    throw UserError("--all does not combine with -p, -l or -n: expected either --all or criteria",
                    kExitUsage);
  if (s.empty())
    throw UserError(command + " needs targets: expected -p PID, -l KEY=VAL, -n NAME or --all", kExitUsage);
  return s;
}

std::vector<Target> resolve_and_note(const Selector& selector) {
  std::vector<std::string> notes;
  const auto print = [&notes] {
    for (const std::string& n : notes) std::cerr << "faultline: note: " << n << "\n";
  };
  try {
    std::vector<Target> targets = resolve_targets(selector, &notes);
    print();
    return targets;
  } catch (const UserError&) {
    print();
    throw;
  }
}

}  // namespace faultline::cli
