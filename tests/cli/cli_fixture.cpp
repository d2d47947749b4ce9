#include "cli_fixture.h"

#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"

namespace faultline::clitest {

std::string CliTest::unique_label() {
  static std::atomic<int> counter{0};
  return "clitest=" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

LaunchedEcho CliTest::launch_echo(const std::vector<std::string>& launch_args,
                                  const std::vector<std::string>& env) {
  std::vector<std::string> argv{cli_path(), "launch"};
  argv.insert(argv.end(), launch_args.begin(), launch_args.end());
  argv.push_back("--");
  argv.push_back(testing::helper_path("udp_echo"));
  testing::SpawnOptions options;
  options.preload = false;  // launch sets LD_PRELOAD itself: that is under test
  options.env = env;
  LaunchedEcho echo{testing::Process::spawn(argv, options), 0, std::nullopt};
  const auto line = echo.process.read_line(10s);
  if (!line) throw std::runtime_error("udp_echo under faultline launch printed no port");
  echo.port = static_cast<std::uint16_t>(std::stoul(*line));
  std::string reason;
  echo.client = testing::wait_for_segment(echo.process.pid(), 10s, &reason);
  if (!echo.client) throw std::runtime_error("no segment for the launched udp_echo: " + reason);
  return echo;
}

PingStats CliTest::ping(std::uint16_t port, int count, int timeout_ms) {
  testing::SpawnOptions options;
  options.preload = false;
  const testing::RunResult r =
      testing::run({testing::helper_path("udp_pinger"), "--port", std::to_string(port), "--count",
                    std::to_string(count), "--timeout-ms", std::to_string(timeout_ms), "--json"},
                   60s, options);
  const nlohmann::json j = nlohmann::json::parse(r.output);
  return {j.at("sent").get<std::uint64_t>(), j.at("received").get<std::uint64_t>(),
          j.at("min_ns").get<std::int64_t>(), j.at("p50_ns").get<std::int64_t>()};
}

bool CliTest::wait_until_no_faults(const cp::Client& client, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!client.faults().empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::vector<std::string> CliTest::fault_ids(const cp::Client& client) {
  std::vector<std::string> ids;
  for (const cp::FaultView& f : client.faults()) ids.emplace_back(f.spec.id);
  return ids;
}

std::optional<cp::EventView> CliTest::wait_for_event(const cp::Client& client, abi::EventType type,
                                                     const std::string& id,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const cp::EventView& e : client.events(0))
      if (e.type == type && e.fault_id == id) return e;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

::testing::AssertionResult fails_with_one_line(const CliResult& r, int code) {
  // Notes about unrelated segments (other suites run beside this one) are
  // context, not the failure line.
  std::vector<std::string> lines;
  for (const std::string& line : r.err_lines())
    if (line.rfind("faultline: note: ", 0) != 0) lines.push_back(line);
  if (r.code() != code)
    return ::testing::AssertionFailure()
           << "exit " << r.code() << ", expected " << code << "; stderr: " << r.err;
  if (!r.out.empty()) return ::testing::AssertionFailure() << "stdout not empty: " << r.out;
  if (lines.size() != 1) return ::testing::AssertionFailure() << lines.size() << " stderr lines: " << r.err;
  if (lines[0].rfind("faultline: ", 0) != 0)
    return ::testing::AssertionFailure() << "stderr does not start with 'faultline: ': " << r.err;
  return ::testing::AssertionSuccess();
}

std::string failure_line(const CliResult& r) {
  for (const std::string& line : r.err_lines())
    if (line.rfind("faultline: note: ", 0) != 0) return line;
  return "";
}

}  // namespace faultline::clitest
