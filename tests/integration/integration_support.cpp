#include "integration_support.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"

namespace faultline::integration {

std::uint64_t EchoServer::stop_and_count() {
  process.kill_and_reap(SIGTERM);
  const std::string rest = process.read_rest(2s);
  const std::size_t last_space = rest.find_last_of(' ');
  if (last_space == std::string::npos)
    throw std::runtime_error("echo server reported nothing: '" + rest + "'");
  return std::stoull(rest.substr(last_space + 1));
}

EchoServer start_echo(const std::string& program, const std::vector<std::string>& args,
                      const testing::SpawnOptions& options) {
  std::vector<std::string> argv{testing::helper_path(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  EchoServer s{testing::Process::spawn(argv, options), 0, std::nullopt};
  const auto line = s.process.read_line(10s);
  if (!line) throw std::runtime_error(program + " printed no port");
  s.port = static_cast<std::uint16_t>(std::stoul(*line));
  if (options.preload) {
    std::string reason;
    s.client = testing::wait_for_segment(s.process.pid(), 10s, &reason);
    if (!s.client) throw std::runtime_error(program + ": no segment: " + reason);
  }
  return s;
}

abi::FaultSpec latency_fault(const char* id, std::int64_t delay_ns) {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
  f.pct_ppm = 1'000'000;
  f.for_ns = 60'000 * kMs;
  f.seed = 1234;
  f.delay_ns = delay_ns;
  return f;
}

abi::FaultSpec loss_fault(const char* id, std::uint32_t loss_ppm) {
  abi::FaultSpec f = latency_fault(id, 0);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLoss);
  f.loss_ppm = loss_ppm;
  f.rto_ns = 200 * kMs;
  return f;
}

cp::AckResult command(cp::Client& client, const abi::Command& cmd) {
  const cp::AckResult r = client.request(cmd, 5s);
  if (r.status != abi::AckStatus::kApplied) ADD_FAILURE() << "command not applied: " << r.reason;
  return r;
}

cp::AckResult inject(cp::Client& client, const abi::FaultSpec& spec) {
  return command(client, cp::make_inject(spec));
}

cp::AckResult clear(cp::Client& client, const char* id) {
  return command(client, cp::make_clear(id));
}

std::optional<cp::FaultView> fault_view(const cp::Client& client, const char* id) {
  for (const cp::FaultView& f : client.faults())
    if (std::strcmp(f.spec.id, id) == 0) return f;
  return std::nullopt;
}

std::optional<cp::EventView> wait_for_event(const cp::Client& client, abi::EventType type, const char* id,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    for (const cp::EventView& e : client.events(0))
      if (e.type == type && e.fault_id == id) return e;
    std::this_thread::sleep_for(5ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

namespace {

Pings ping(const char* program, std::uint16_t port, int count, const std::vector<std::string>& extra,
           const testing::SpawnOptions& options) {
  std::vector<std::string> argv{testing::helper_path(program), "--port", std::to_string(port), "--count",
                                std::to_string(count),         "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const testing::RunResult run = testing::run(argv, 30s, options);
  Pings p;
  p.status = run.status;
  const nlohmann::json j = nlohmann::json::parse(run.output);
  p.sent = j.at("sent");
  p.received = j.at("received");
  p.timeouts = j.at("timeouts");
  p.mismatches = j.at("mismatches");
  p.rtts_ns = j.at("rtts_ns").get<std::vector<std::int64_t>>();
  p.min_ns = j.at("min_ns");
  p.p50_ns = j.at("p50_ns");
  return p;
}

}  // namespace

Pings udp_ping(std::uint16_t port, int count, const std::vector<std::string>& extra,
               const testing::SpawnOptions& options) {
  return ping("udp_pinger", port, count, extra, options);
}

Pings tcp_ping(std::uint16_t port, int count, const std::vector<std::string>& extra,
               const testing::SpawnOptions& options) {
  return ping("tcp_pinger", port, count, extra, options);
}

std::uint64_t calls(const cp::Client& client, abi::CallClass cls) {
  return client.telemetry().classes.at(static_cast<std::size_t>(cls)).calls;
}

std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace faultline::integration
