// faultline telemetry SELECTOR on|off: switches the targets' recording of
// per-call telemetry, which 'faultline stats' reads.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "faultline/cli/broadcast.h"
#include "faultline/cli/error.h"
#include "faultline/controlplane/client.h"

namespace faultline::cli {
namespace {

struct TelemetryArgs {
  SelectorArgs selector;
  std::string state;
};

int run_telemetry(const TelemetryArgs& args) {
  const Selector selector = make_selector(args.selector, "telemetry");
  if (args.state != "on" && args.state != "off")
    throw UserError("invalid state '" + args.state + "' for telemetry: expected on or off", kExitUsage);
  const bool on = args.state == "on";
  std::vector<Target> targets = resolve_and_note(selector);
  const std::vector<cp::AckResult> acks = broadcast(targets, cp::make_telemetry(on));
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (acks[i].status != abi::AckStatus::kApplied)
      throw UserError(describe_failure(targets[i], acks[i], "telemetry " + args.state));
  std::cout << fmt::format("telemetry {} in {} target{}: {}\n", args.state, targets.size(),
                           targets.size() == 1 ? "" : "s", target_names(targets));
  return 0;
}

}  // namespace

Command add_telemetry(CLI::App& root) {
  auto args = std::make_shared<TelemetryArgs>();
  CLI::App* cmd = root.add_subcommand(
      "telemetry",
      "Switch telemetry recording in the selected targets: 'faultline telemetry SELECTOR on|off'");
  add_selector_options(*cmd, args->selector);
  cmd->add_option("STATE", args->state, "on or off")->required();
  return {cmd, [args] { return run_telemetry(*args); }};
}

}  // namespace faultline::cli
