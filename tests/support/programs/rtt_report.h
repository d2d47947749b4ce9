// What the pingers share: the options both take, and what they print: one
// line per round trip ("rtt_ns N" or "timeout"), or with --json a single
// summary line:
// {"sent":N,"received":N,"timeouts":N,"mismatches":N,"min_ns":N,"p50_ns":N,
//  "max_ns":N,"rtts_ns":[...]}
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "args.h"

namespace faultline::testing::programs {

// The options both pingers take; nullopt (after saying so on stderr) when
// --port is missing or out of range.
struct PingOptions {
  std::uint16_t port = 0;
  long count = 10;
  std::size_t size = 64;  // at least 8: the sequence number
  long timeout_ms = 1000;
  bool json = false;
};

inline std::optional<PingOptions> ping_options(const Args& args, const char* program) {
  const long port = args.number("--port", 0);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "%s: --port is required\n", program);
    return std::nullopt;
  }
  PingOptions o;
  o.port = static_cast<std::uint16_t>(port);
  o.count = args.number("--count", 10);
  o.size = static_cast<std::size_t>(std::max(8L, args.number("--size", 64)));
  o.timeout_ms = args.number("--timeout-ms", 1000);
  o.json = args.flag("--json");
  return o;
}

struct RttReport {
  std::uint64_t sent = 0, timeouts = 0, mismatches = 0;
  std::vector<std::int64_t> rtts_ns;  // received round trips, in order

  void print_json() const {
    std::vector<std::int64_t> sorted = rtts_ns;
    std::sort(sorted.begin(), sorted.end());
    const std::int64_t min = sorted.empty() ? 0 : sorted.front();
    const std::int64_t max = sorted.empty() ? 0 : sorted.back();
    const std::int64_t p50 = sorted.empty() ? 0 : sorted[(sorted.size() - 1) / 2];
    std::printf(
        "{\"sent\":%llu,\"received\":%zu,\"timeouts\":%llu,\"mismatches\":%llu,\"min_ns\":%lld,"
        "\"p50_ns\":%lld,\"max_ns\":%lld,\"rtts_ns\":[",
        static_cast<unsigned long long>(sent), rtts_ns.size(), static_cast<unsigned long long>(timeouts),
        static_cast<unsigned long long>(mismatches), static_cast<long long>(min), static_cast<long long>(p50),
        static_cast<long long>(max));
    for (std::size_t i = 0; i < rtts_ns.size(); ++i)
      std::printf("%s%lld", i == 0 ? "" : ",", static_cast<long long>(rtts_ns[i]));
    std::printf("]}\n");
  }
};

inline std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Deterministic payload for round trip `seq`: the sequence number, then bytes
// derived from it, so a reply is checked byte for byte.
inline void fill_payload(unsigned char* buf, std::size_t size, std::uint64_t seq) {
  std::uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
  for (std::size_t i = 0; i < size; ++i) {
    if (i < 8) {
      buf[i] = static_cast<unsigned char>(seq >> (8 * i));
      continue;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = static_cast<unsigned char>(x);
  }
}

}  // namespace faultline::testing::programs
