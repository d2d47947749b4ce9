// faultline kill SELECTOR [--signal S] [--all-matching] [--every D --for T]
// [--seed N]: what deleting a pod does to a replica set. Once, or every D
// for T, signals one random live matching target (or every one with
// --all-matching) and says which, re-resolving the selector each round so a
// replacement started meanwhile can be picked.
#include <signal.h>
#include <string.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/format.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

struct KillArgs {
  SelectorArgs selector;
  std::string signal = "SIGKILL";
  std::string every, for_;
  std::string seed;
  bool all_matching = false;
};

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
}

// "2026-12-03T18:10:00.123Z": when a kill happened, to line up with the
// service's own logs.
std::string wall_timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char text[40];
  const std::size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text, n) + "." + std::to_string(1000 + ts.tv_nsec / 1'000'000).substr(1) + "Z";
}

// A target killed but not yet reaped by its parent still looks alive to the
// control plane; it must not be picked again.
bool is_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

// Signals the chosen targets and prints one line per target; false if the
// signal could not be sent to any (they all exited meanwhile).
bool kill_round(std::vector<Target>& targets, bool all, int sig, std::mt19937_64& rng, bool stamp) {
  std::vector<Target*> chosen;
  if (all) {
    for (Target& t : targets) chosen.push_back(&t);
  } else {
    std::uniform_int_distribution<std::size_t> pick(0, targets.size() - 1);
    chosen.push_back(&targets[pick(rng)]);
  }
  bool any = false;
  for (Target* t : chosen) {
    const std::string prefix = stamp ? wall_timestamp() + " " : "";
    if (::kill(t->pid(), sig) != 0) {
      std::cerr << "faultline: note: " << prefix << "could not signal " << t->name() << ": "
                << strerror(errno) << "\n";
      continue;
    }
    any = true;
    std::cout << prefix << "killed " << t->name() << " with " << signal_name(sig) << " (" << targets.size()
              << " matching)" << std::endl;
  }
  return any;
}

int run_kill(const KillArgs& args) {
  const Selector selector = make_selector(args.selector, "kill");
  const int sig = parse_signal(args.signal, "--signal");
  if (args.every.empty() != args.for_.empty())
    throw UserError("--every and --for go together: expected both (repeat) or neither (one kill)",
                    kExitUsage);
  const std::int64_t every_ns = args.every.empty() ? 0 : parse_duration(args.every, "--every");
  const std::int64_t for_ns = args.for_.empty() ? 0 : parse_duration(args.for_, "--for");
  if (!args.every.empty() && every_ns == 0)
    throw UserError("invalid duration '0' for --every: expected a positive interval, e.g. 5s");
  std::mt19937_64 rng(args.seed.empty() ? std::random_device{}()
                                        : parse_count(args.seed, "--seed", UINT64_MAX));

  // The first round must find a target: a selector that matches nothing is a mistake.
  std::vector<Target> targets = resolve_and_note(selector);
  kill_round(targets, args.all_matching, sig, rng, every_ns > 0);
  if (every_ns == 0) return 0;

  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::nanoseconds(for_ns);
  for (auto next = start + std::chrono::nanoseconds(every_ns); next <= end;
       next += std::chrono::nanoseconds(every_ns)) {
    std::this_thread::sleep_until(next);
    std::vector<std::string> notes;
    std::vector<Target> live;
    try {
      for (Target& t : resolve_targets(selector, &notes))
        if (!is_zombie(t.pid())) live.push_back(std::move(t));
    } catch (const UserError&) {
      live.clear();
    }
    if (live.empty()) {
      std::cout << wall_timestamp() << " no live target matches " << selector.describe() << "; waiting "
                << format_duration(every_ns) << std::endl;
      continue;
    }
    kill_round(live, args.all_matching, sig, rng, true);
  }
  return 0;
}

}  // namespace

Command add_kill(CLI::App& root) {
  auto args = std::make_shared<KillArgs>();
  CLI::App* cmd = root.add_subcommand(
      "kill",
      "Signal one random matching target (like deleting a pod): 'faultline kill SELECTOR [--signal S] "
      "[--every D --for T] [--all-matching] [--seed N]'");
  add_selector_options(*cmd, args->selector);
  cmd->add_option("--signal", args->signal, "Signal to send (default SIGKILL)")->type_name("SIG");
  cmd->add_option("--every", args->every, "Repeat every D (with --for)")->type_name("D");
  cmd->add_option("--for", args->for_, "Keep repeating until T has passed (with --every)")->type_name("T");
  cmd->add_flag("--all-matching", args->all_matching, "Signal every matching target at once");
  cmd->add_option("--seed", args->seed, "Seed for a reproducible choice of target")->type_name("N");
  return {cmd, [args] { return run_kill(*args); }};
}

}  // namespace faultline::cli
