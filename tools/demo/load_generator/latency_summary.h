// Outcome counts and latency percentiles of a set of requests.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace faultline::demo {

struct RequestOutcome {
  std::int64_t latency_ns = 0;  // from when the request was due to its answer
  bool ok = false;
  std::string error;  // "HTTP 503", "Connection", ... when not ok
};

struct LatencySummary {
  std::uint64_t requests = 0, ok = 0, errors = 0;
  double availability = 1.0;  // ok / requests (1 with no requests)
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  std::map<std::string, std::uint64_t> errors_by_kind;
};

// Percentiles by the nearest-rank method over every outcome's latency.
LatencySummary summarize(const std::vector<RequestOutcome>& outcomes);

nlohmann::json to_json(const LatencySummary& summary);

}  // namespace faultline::demo
