// What the preload integration tests share: starting an echo server under
// the preload and reaching it through its segment, building faults,
// commanding, and running the pingers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"
#include "faultline/testing/process.h"

namespace faultline::integration {

using namespace std::chrono_literals;

constexpr std::int64_t kMs = 1'000'000;

// An echo server (udp_echo or tcp_echo) under the preload, attached.
struct EchoServer {
  testing::Process process;
  std::uint16_t port = 0;
  std::optional<cp::Client> client;

  // Stops it (SIGTERM) and returns the datagrams or bytes it reports having
  // received ("received N" / "connections N bytes M": the last number).
  std::uint64_t stop_and_count();
};

EchoServer start_echo(const std::string& program, const std::vector<std::string>& args = {},
                      const testing::SpawnOptions& options = {});

// Faults as the CLI would build them: 100% pct, --for 60s, fixed seed.
abi::FaultSpec latency_fault(const char* id, std::int64_t delay_ns);
abi::FaultSpec loss_fault(const char* id, std::uint32_t loss_ppm);

// Submits and waits for the acknowledgement; ADD_FAILURE unless applied.
cp::AckResult command(cp::Client& client, const abi::Command& cmd);
cp::AckResult inject(cp::Client& client, const abi::FaultSpec& spec);
cp::AckResult clear(cp::Client& client, const char* id);

// The armed fault `id` as the target mirrors it; nullopt if not armed.
std::optional<cp::FaultView> fault_view(const cp::Client& client, const char* id);
// Waits for an event of `type` about fault `id`.
std::optional<cp::EventView> wait_for_event(const cp::Client& client, abi::EventType type, const char* id,
                                            std::chrono::milliseconds timeout);

struct Pings {
  int status = 0;
  std::uint64_t sent = 0, received = 0, timeouts = 0, mismatches = 0;
  std::vector<std::int64_t> rtts_ns;
  std::int64_t min_ns = 0, p50_ns = 0;
};

// Runs udp_pinger / tcp_pinger (without the preload unless asked) against
// 127.0.0.1:port with --json and the given extra options.
Pings udp_ping(std::uint16_t port, int count, const std::vector<std::string>& extra = {},
               const testing::SpawnOptions& options = testing::SpawnOptions().without_preload());
Pings tcp_ping(std::uint16_t port, int count, const std::vector<std::string>& extra = {},
               const testing::SpawnOptions& options = testing::SpawnOptions().without_preload());

// CLOCK_MONOTONIC in nanoseconds, the clock the preload's own timestamps use.
std::int64_t mono_ns();

// Calls of one telemetry class so far.
std::uint64_t calls(const cp::Client& client, abi::CallClass cls);

}  // namespace faultline::integration
