#include "faults.h"

#include <chrono>
#include <cstring>

namespace faultline::bench {

abi::FaultSpec loopback_latency(const char* id, std::int64_t delay_ns, abi::Proto proto,
                                std::uint16_t dst_port) {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
  f.pct_ppm = 1'000'000;
  f.for_ns = 600'000'000'000;
  f.seed = 1;
  f.delay_ns = delay_ns;
  f.match.family = 4;
  f.match.prefix_len = 32;
  f.match.addr[0] = 127;
  f.match.addr[3] = 1;
  f.match.proto = static_cast<std::uint8_t>(proto);
  f.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  f.match.dst_port = dst_port;
  return f;
}

std::string apply(cp::Client& client, const abi::Command& cmd) {
  const cp::AckResult r = client.request(cmd, std::chrono::seconds(5));
  if (r.status == abi::AckStatus::kApplied) return "";
  return r.reason.empty() ? "not acknowledged" : r.reason;
}

}  // namespace faultline::bench
