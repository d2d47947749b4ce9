// faultline inject SELECTOR FAULT [options]: validates the fault locally,
// resolves every target, submits to all, waits for every acknowledgement,
// and takes the fault back from those that applied it if any target rejects
// it, so nothing is left half-applied.
#include <fmt/format.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/broadcast.h"
#include "faultline/cli/clock.h"
#include "faultline/cli/error.h"
#include "faultline/cli/fault.h"
#include "faultline/cli/format.h"
#include "faultline/controlplane/validate.h"

namespace faultline::cli {
namespace {

struct InjectArgs {
  SelectorArgs selector;
  std::string fault;
  bool json = false;
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string format_apply(std::int64_t ns) {
  const double us = static_cast<double>(ns) / 1e3;
  return ns >= 10'000 ? fmt::format("{:.0f} us", us) : fmt::format("{:.1f} us", us);
}

GivenOptions collect_given(const CLI::App& cmd) {
  GivenOptions given;
  for (const FaultOptionInfo& o : fault_option_table()) {
    const CLI::Option* opt = cmd.get_option("--" + std::string(o.name));
    if (opt->count() > 0) given[o.name] = o.flag ? std::string() : opt->as<std::string>();
  }
  return given;
}

// A generated id must not collide with one armed on any target; a chosen one
// must not either, and that is the user's to fix.
void settle_id(abi::FaultSpec* spec, bool chosen, const std::vector<Target>& targets) {
  std::set<std::string> taken;
  for (const Target& t : targets)
    for (const cp::FaultView& f : t.client.faults()) taken.insert(field_string(f.spec.id));
  const std::string id = field_string(spec->id);
  if (taken.count(id) == 0) return;
  if (chosen)
    throw UserError("fault id '" + id +
                    "' is already armed on a selected target: expected a new --id, or "
                    "'faultline clear ... --id " +
                    id + "' first");
  const std::string fresh = generate_fault_id(static_cast<abi::FaultKind>(spec->kind), taken);
  std::snprintf(spec->id, sizeof spec->id, "%s", fresh.c_str());
}

// Rolls back after a failed inject: clears the fault from every target that
// did not reject it (applied, or may still apply: the clear queues after it).
std::string roll_back(std::vector<Target>& targets, const std::vector<cp::AckResult>& acks, const char* id) {
  std::vector<Target> undo;
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (acks[i].status != abi::AckStatus::kRejected) undo.push_back(std::move(targets[i]));
  if (undo.empty()) return "nothing was applied";
  const std::vector<cp::AckResult> cleared = broadcast(undo, cp::make_clear(id));
  std::string stuck;
  for (std::size_t i = 0; i < undo.size(); ++i)
    if (cleared[i].status != abi::AckStatus::kApplied) stuck += (stuck.empty() ? "" : ", ") + undo[i].name();
  if (stuck.empty()) return "cleared it again from " + target_names(undo);
  return "could not clear it again from " + stuck + " (it expires by itself)";
}

void print_injected(const abi::FaultSpec& spec, const std::vector<Target>& targets,
                    const std::vector<cp::AckResult>& acks, bool json) {
  std::int64_t max_apply = 0;
  for (const cp::AckResult& a : acks) max_apply = std::max(max_apply, a.apply_ns);
  const std::string id = field_string(spec.id);
  if (json) {
    nlohmann::json out = {{"id", id},
                          {"kind", cp::fault_kind_name(static_cast<abi::FaultKind>(spec.kind))},
                          {"description", describe_fault(spec)},
                          {"match", describe_match(spec.match)},
                          {"for_ns", spec.for_ns},
                          {"lease_ns", spec.lease_ns},
                          {"max_apply_ns", max_apply},
                          {"targets", nlohmann::json::array()}};
    for (std::size_t i = 0; i < targets.size(); ++i)
      out["targets"].push_back(
          {{"pid", targets[i].pid()}, {"program", targets[i].program}, {"apply_ns", acks[i].apply_ns}});
    std::cout << out.dump() << std::endl;
    return;
  }
  std::cout << "injected " << id << " (" << describe_fault(spec) << ") into "
            << plural(targets.size(), "target") << ": " << target_names(targets) << "; applied in "
            << format_apply(max_apply) << " (max)" << std::endl;
}

// --lease: renew every lease/3 until Ctrl-C, SIGTERM or the fault's end,
// then clear it. If this process dies instead, the targets let it lapse.
int hold_lease(std::vector<Target> targets, const abi::FaultSpec& spec, bool json) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const std::string id = field_string(spec.id);
  if (!json)
    std::cout << "holding " << id << " on a " << format_duration(spec.lease_ns) << " lease; Ctrl-C clears it"
              << std::endl;
  const std::int64_t end = mono_now_ns() + spec.after_ns + spec.for_ns;
  const std::int64_t period = std::max<std::int64_t>(spec.lease_ns / 3, 1'000'000);
  std::int64_t next = mono_now_ns() + period;
  while (!g_stop.load() && !targets.empty()) {
    const std::int64_t now = mono_now_ns();
    if (now >= end) break;
    if (now >= next) {
      const std::vector<cp::AckResult> acks =
          broadcast(targets, cp::make_renew_lease(spec.id, spec.lease_ns));
      std::vector<Target> kept;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (acks[i].status == abi::AckStatus::kApplied) {
          kept.push_back(std::move(targets[i]));
        } else {
          std::cerr << "faultline: note: "
                    << describe_failure(targets[i], acks[i], "the lease renewal of " + id) << "\n";
        }
      }
      targets = std::move(kept);
      next += period;
      continue;
    }
    const std::int64_t wait = std::min({next, end, now + 50'000'000}) - now;
    const timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    nanosleep(&ts, nullptr);
  }
  if (targets.empty()) return kExitUserError;
  // At the end of --for the targets expire the fault themselves; only those
  // still holding it need a clear.
  const auto holds = [&id](Target& t) {
    const std::vector<cp::FaultView> armed = t.client.faults();
    return std::any_of(armed.begin(), armed.end(),
                       [&id](const cp::FaultView& f) { return field_string(f.spec.id) == id; });
  };
  std::vector<Target> holding;
  for (Target& t : targets)
    if (holds(t)) holding.push_back(std::move(t));
  std::size_t expired = targets.size() - holding.size();
  const std::vector<cp::AckResult> acks = broadcast(holding, cp::make_clear(spec.id));
  std::size_t cleared = 0;
  int code = 0;
  for (std::size_t i = 0; i < holding.size(); ++i) {
    if (acks[i].status == abi::AckStatus::kApplied) {
      ++cleared;
    } else if (!holds(holding[i])) {
      ++expired;  // its --for ran out between the look and the clear
    } else {
      std::cerr << "faultline: " << describe_failure(holding[i], acks[i], "the clear of " + id) << "\n";
      code = kExitUserError;
    }
  }
  if (!json) {
    if (cleared > 0) std::cout << "cleared " << id << " from " << plural(cleared, "target") << std::endl;
    if (expired > 0) std::cout << id << " expired in " << plural(expired, "target") << std::endl;
  }
  return code;
}

int run_inject(const InjectArgs& args, const CLI::App& cmd) {
  const Selector selector = make_selector(args.selector, "inject");
  const GivenOptions given = collect_given(cmd);
  abi::FaultSpec spec = build_fault(args.fault, given);

  std::vector<Target> targets = resolve_and_note(selector);
  settle_id(&spec, given.count("id") > 0, targets);

  const std::vector<cp::AckResult> acks = broadcast(targets, cp::make_inject(spec));
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (acks[i].status == abi::AckStatus::kApplied) continue;
    const std::string failure = describe_failure(targets[i], acks[i], field_string(spec.id));
    std::vector<Target> all = std::move(targets);
    throw UserError(failure + " (" + roll_back(all, acks, spec.id) + ")");
  }
  print_injected(spec, targets, acks, args.json);
  if (spec.lease_ns > 0) return hold_lease(std::move(targets), spec, args.json);
  return 0;
}

}  // namespace

Command add_inject(CLI::App& root) {
  auto args = std::make_shared<InjectArgs>();
  CLI::App* cmd = root.add_subcommand("inject",
                                      "Arm FAULT in the selected targets: 'faultline inject SELECTOR FAULT "
                                      "[options]'. Waits for every target's "
                                      "acknowledgement; if one rejects it, the others drop it again. Faults "
                                      "expire after --for (default 60s).");
  add_selector_options(*cmd, args->selector);
  cmd->add_option("FAULT", args->fault, "One of " + known_fault_names())->required()->type_name("");
  for (const FaultOptionInfo& o : fault_option_table()) {
    const std::string name = "--" + std::string(o.name);
    CLI::Option* opt = o.flag ? cmd->add_flag(name, o.help) : cmd->add_option(name, o.help);
    opt->group(o.group);
    if (!o.flag) opt->type_name(o.metavar);
  }
  cmd->add_flag("--json", args->json, "Print the result as one JSON object");
  return {cmd, [args, cmd] { return run_inject(*args, *cmd); }};
}

}  // namespace faultline::cli
