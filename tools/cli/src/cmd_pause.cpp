// faultline pause SELECTOR --for D: freezes the matching targets with SIGSTOP
// (a GC pause, a stalled VM) and resumes them with SIGCONT after D. Ctrl-C,
// SIGTERM or SIGHUP of the CLI end the pause early: a target is never left
// stopped by us.
#include <signal.h>
#include <string.h>

#include <cerrno>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/format.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

struct PauseArgs {
  SelectorArgs selector;
  std::string for_;
};

// The signals that would end the CLI while targets are stopped.
sigset_t ending_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// Waits `ns`, or until one of the blocked ending signals arrives; that signal, or 0.
int wait_or_signal(const sigset_t& set, std::int64_t ns) {
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ns / 1'000'000'000;
  deadline.tv_nsec += ns % 1'000'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_nsec -= 1'000'000'000;
    ++deadline.tv_sec;
  }
  for (;;) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    std::int64_t left = (deadline.tv_sec - now.tv_sec) * 1'000'000'000 + (deadline.tv_nsec - now.tv_nsec);
    if (left <= 0) return 0;
    const timespec wait{left / 1'000'000'000, left % 1'000'000'000};
    const int sig = sigtimedwait(&set, nullptr, &wait);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
  }
}

int run_pause(const PauseArgs& args) {
  const Selector selector = make_selector(args.selector, "pause");
  if (args.for_.empty())
    throw UserError("pause needs --for D: expected how long to pause, e.g. 5s", kExitUsage);
  const std::int64_t for_ns = parse_duration(args.for_, "--for");
  std::vector<Target> targets = resolve_and_note(selector);

  // Blocked before the first SIGSTOP, so no ending signal can slip in between.
  const sigset_t set = ending_signals();
  sigset_t old;
  sigprocmask(SIG_BLOCK, &set, &old);
  std::vector<Target*> stopped;
  for (Target& t : targets) {
    if (::kill(t.pid(), SIGSTOP) == 0)
      stopped.push_back(&t);
    else
      std::cerr << "faultline: note: could not stop " << t.name() << ": " << strerror(errno) << "\n";
  }
  std::string names;
  for (const Target* t : stopped) names += (names.empty() ? "" : ", ") + t->name();
  std::cout << "paused " << stopped.size() << " target" << (stopped.size() == 1 ? "" : "s") << " for "
            << format_duration(for_ns) << ": " << names << std::endl;

  const int sig = wait_or_signal(set, for_ns);
  for (const Target* t : stopped) ::kill(t->pid(), SIGCONT);
  if (sig != 0)
    std::cout << "interrupted by " << strsignal(sig) << ": resumed " << names << std::endl;
  else
    std::cout << "resumed " << names << std::endl;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return sig == 0 ? 0 : 128 + sig;
}

}  // namespace

Command add_pause(CLI::App& root) {
  auto args = std::make_shared<PauseArgs>();
  CLI::App* cmd = root.add_subcommand(
      "pause",
      "Freeze the matching targets (SIGSTOP) and resume them after D: 'faultline pause SELECTOR --for D'");
  add_selector_options(*cmd, args->selector);
  cmd->add_option("--for", args->for_, "How long the targets stay stopped")->type_name("D");
  return {cmd, [args] { return run_pause(*args); }};
}

}  // namespace faultline::cli
