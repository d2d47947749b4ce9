// The faultline provider end to end: a UDP echo server under the preload,
// traffic from this test, a latency fault injected and cleared with the real
// `faultline` CLI, and the steady state judged from the target's telemetry.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "faultline/experiment/runner.h"
#include "faultline/testing/loopback.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/process.h"
#include "faultline/testing/targets.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

// Datagrams to the echo server every millisecond until stopped.
class UdpTraffic {
 public:
  explicit UdpTraffic(int port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const sockaddr_in to = testing::loopback(static_cast<std::uint16_t>(port));
    thread_ = std::thread([this, to] {
      char buffer[64] = "ping";
      while (!stop_) {
        ::sendto(fd_, buffer, 16, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
        while (::recv(fd_, buffer, sizeof buffer, 0) > 0) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~UdpTraffic() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

 private:
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(LiveTarget, ShouldSeeInjectedLatencyInTheTargetsTelemetryAndRecoverAfterTheRollback) {
  const std::string label = "app=experiment-test-" + std::to_string(::getpid());
  auto echo = testing::Process::spawn({testing::helper_path("udp_echo")},
                                      testing::SpawnOptions().with_env("FAULTLINE_LABELS=" + label));
  const auto port_line = echo.read_line(std::chrono::seconds(10));
  ASSERT_TRUE(port_line.has_value()) << "udp_echo did not print its port";
  std::string reason;
  ASSERT_TRUE(testing::wait_for_segment(echo.pid(), std::chrono::seconds(10), &reason).has_value()) << reason;
  UdpTraffic traffic(std::stoi(*port_line));

  ::setenv("FAULTLINE_CLI", FAULTLINE_CLI_PATH, 1);
  RunOptions o;
  o.quiet = true;
  const RunResult r = run_experiment(parse_experiment(R"(title: echo replies stay fast
steady-state-hypothesis:
  title: the shim delays the echo server's replies by under 20ms
  probes:
    - type: probe
      name: echo-send-p99
      tolerance: [0, 20]
      provider:
        type: faultline
        func: telemetry
        selector: {labels: "${label}"}
        metric: p99
        class: injected_delay
    - type: probe
      name: echo-receives
      tolerance: {type: range, range: [1, 1000000000]}
      provider:
        type: faultline
        func: telemetry
        selector: {labels: "${label}"}
        metric: calls_per_second
        class: udp_recv
method:
  - type: action
    name: slow-replies
    provider:
      type: faultline
      func: inject
      selector: {labels: "${label}"}
      fault: latency
      arguments: {delay: 60ms, dir: egress, proto: udp, for: 60s}
rollbacks:
  - type: action
    name: clear-faults
    provider: {type: faultline, func: clear, selector: {labels: "${label}"}}
x-faultline:
  sample-interval: 100ms
  duration: 30s
  recovery-timeout: 20s
  halt: {max-violations: 2}
)",
                                                      "live.yaml", {{"label", label}}),
                                     o);
  ::unsetenv("FAULTLINE_CLI");
  ASSERT_TRUE(r.journal.contains("faultline") && r.journal.contains("run")) << r.journal.dump(2);
  const Json& fl = r.journal["faultline"];
  ASSERT_EQ(r.journal["run"].at(0).at("status"), "succeeded") << r.journal["run"].dump(2);
  EXPECT_EQ(r.exit_code, kExitDeviated) << fl.dump(2);
  ASSERT_EQ(fl["violations"].size(), 2u) << fl.dump(2);
  EXPECT_EQ(fl["violations"][0]["probes"][0]["probe"], "echo-send-p99");
  EXPECT_EQ(fl["faults"][0]["cleared"], true);               // by the rollback
  EXPECT_TRUE(fl["faults"][0]["runner_cleanup"].is_null());  // so the runner had nothing to do
  EXPECT_EQ(fl["recovered"], true) << fl.dump(2);
  const Json& p99 = fl["p99_ms"];
  EXPECT_EQ(p99["probe"], "echo-send-p99");
  EXPECT_EQ(p99["source"], "telemetry histogram");
  EXPECT_TRUE(p99["before"].is_null()) << p99.dump();  // nothing was delayed before the fault
  EXPECT_GT(p99["during"].get<double>(), 55.0);        // the 60 ms delay, within the histogram's 3%
}

}  // namespace
}  // namespace faultline::experiment
