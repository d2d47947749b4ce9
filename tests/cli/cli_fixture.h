// Targets for the CLI tests: udp_echo started through `faultline launch`,
// labelled uniquely per test so that other suites' targets running on the
// same machine are never selected.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "faultline/controlplane/client.h"
#include "faultline/testing/process.h"

namespace faultline::clitest {

using namespace std::chrono_literals;

inline constexpr std::int64_t kMs = 1'000'000;

struct LaunchedEcho {
  testing::Process process;
  std::uint16_t port = 0;
  std::optional<cp::Client> client;
  pid_t pid() const { return process.pid(); }
};

struct PingStats {
  std::uint64_t sent = 0, received = 0;
  std::int64_t min_ns = 0, p50_ns = 0;
};

class CliTest : public ::testing::Test {
 protected:
  // "clitest=<pid>-<n>", new on every call.
  static std::string unique_label();
  // faultline launch LAUNCH_ARGS -- udp_echo; waits for its port and segment.
  // `env`: KEY=VALUE entries for the target (FAULTLINE_* of this process are not passed on).
  static LaunchedEcho launch_echo(const std::vector<std::string>& launch_args,
                                  const std::vector<std::string>& env = {});
  // udp_pinger (not preloaded) against 127.0.0.1:port, each round trip
  // waiting up to timeout_ms for its echo.
  static PingStats ping(std::uint16_t port, int count, int timeout_ms = 3000);
  // Polls until the target has no armed fault; false if `timeout` passes.
  static bool wait_until_no_faults(const cp::Client& client, std::chrono::milliseconds timeout);
  // Ids of the armed faults.
  static std::vector<std::string> fault_ids(const cp::Client& client);
  // The first event of `type` for fault `id`, waiting up to `timeout`.
  static std::optional<cp::EventView> wait_for_event(const cp::Client& client, abi::EventType type,
                                                     const std::string& id,
                                                     std::chrono::milliseconds timeout);
};

// The failure contract: exit `code`, nothing on stdout, exactly one line on
// stderr that starts with "faultline: " besides "faultline: note: " lines.
::testing::AssertionResult fails_with_one_line(const CliResult& r, int code);
// The first stderr line that is not a note ("" if none).
std::string failure_line(const CliResult& r);

}  // namespace faultline::clitest
