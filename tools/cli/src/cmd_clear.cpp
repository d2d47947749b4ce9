// faultline clear SELECTOR [--id ID] [--emergency]: disarms one fault, or
// every fault, in the selected targets and says what it cleared. --emergency
// takes the path that needs no ring slot (abi::Header::emergency_clear): for
// a target whose ring is full or was tampered with.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "faultline/cli/broadcast.h"
#include "faultline/cli/error.h"
#include "faultline/cli/format.h"

namespace faultline::cli {
namespace {

struct ClearArgs {
  SelectorArgs selector;
  std::string id;
  bool json = false;
  bool emergency = false;
};

std::set<std::string> armed_ids(const Target& t) {
  std::set<std::string> ids;
  for (const cp::FaultView& f : t.client.faults()) ids.insert(field_string(f.spec.id));
  return ids;
}

std::string join(const std::set<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// Sends `cmd`; a target that rejects it is fine if `id` is no longer armed
// there (it expired meanwhile), otherwise the failure is the user's to see.
void send_clear(std::vector<Target>& targets, const abi::Command& cmd, const std::string& id) {
  const std::vector<cp::AckResult> acks = broadcast(targets, cmd);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (acks[i].status == abi::AckStatus::kApplied) continue;
    if (acks[i].status == abi::AckStatus::kRejected && !id.empty() && armed_ids(targets[i]).count(id) == 0)
      continue;
    throw UserError(describe_failure(targets[i], acks[i], "the clear"));
  }
}

// Rings every target's emergency word, then waits until their fault tables
// are empty (the apply thread took it) or gives up naming the laggards.
void emergency_clear(std::vector<Target>& targets) {
  for (const Target& t : targets) t.client.emergency_clear();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (const Target& t : targets) {
    while (!t.client.faults().empty()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw UserError(
            fmt::format("{} {} still has faults 2s after the emergency clear: expected its apply "
                        "thread to take it (is the process stopped?)",
                        t.pid(), t.program));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

int run_clear(const ClearArgs& args) {
  const Selector selector = make_selector(args.selector, "clear");
  std::vector<Target> targets = resolve_and_note(selector);

  std::set<std::string> cleared;
  if (args.emergency) {
    if (!args.id.empty()) throw UserError("--emergency clears every fault: expected no --id with it");
    for (const Target& t : targets) {
      const std::set<std::string> ids = armed_ids(t);
      cleared.insert(ids.begin(), ids.end());
    }
    emergency_clear(targets);
  } else if (!args.id.empty()) {
    std::vector<Target> holders;
    std::set<std::string> armed;
    for (Target& t : targets) {
      const std::set<std::string> ids = armed_ids(t);
      armed.insert(ids.begin(), ids.end());
      if (ids.count(args.id) > 0) holders.push_back(std::move(t));
    }
    if (holders.empty())
      throw UserError("no fault '" + args.id + "' armed in " + selector.describe() + ": expected " +
                      (armed.empty() ? std::string("an armed fault (none is)") : "one of " + join(armed)));
    targets = std::move(holders);
    send_clear(targets, cp::make_clear(args.id.c_str()), args.id);
    cleared.insert(args.id);
  } else {
    for (const Target& t : targets) {
      const std::set<std::string> ids = armed_ids(t);
      cleared.insert(ids.begin(), ids.end());
    }
    send_clear(targets, cp::make_clear_all(), "");
  }

  if (args.json) {
    nlohmann::json out = {{"cleared", cleared}, {"targets", nlohmann::json::array()}};
    for (const Target& t : targets) out["targets"].push_back({{"pid", t.pid()}, {"program", t.program}});
    std::cout << out.dump() << "\n";
    return 0;
  }
  const std::string where =
      fmt::format("{} target{}: {}", targets.size(), targets.size() == 1 ? "" : "s", target_names(targets));
  if (cleared.empty())
    std::cout << "nothing was armed in " << where << "\n";
  else
    std::cout << "cleared " << join(cleared) << " from " << where << "\n";
  return 0;
}

}  // namespace

Command add_clear(CLI::App& root) {
  auto args = std::make_shared<ClearArgs>();
  CLI::App* cmd = root.add_subcommand(
      "clear",
      "Disarm faults in the selected targets: 'faultline clear SELECTOR [--id ID]' (without --id: all)");
  add_selector_options(*cmd, args->selector);
  cmd->add_option("--id", args->id, "The fault to clear (default: every fault)");
  cmd->add_flag("--json", args->json, "Print {cleared: [ids], targets: [...]} as JSON");
  cmd->add_flag("--emergency", args->emergency,
                "Clear every fault without using the command ring (for a full or damaged ring)");
  return {cmd, [args] { return run_clear(*args); }};
}

}  // namespace faultline::cli
