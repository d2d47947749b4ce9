#include "latency_summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace faultline::demo {
namespace {

double ns_to_ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// Nearest rank: the smallest value with at least q of the values at or below it.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary summarize(const std::vector<RequestOutcome>& outcomes) {
  LatencySummary summary;
  summary.requests = outcomes.size();
  if (outcomes.empty()) return summary;

  std::vector<std::int64_t> latencies;
  latencies.reserve(outcomes.size());
  for (const auto& outcome : outcomes) {
    latencies.push_back(outcome.latency_ns);
    if (outcome.ok) {
      ++summary.ok;
    } else {
      ++summary.errors;
      ++summary.errors_by_kind[outcome.error];
    }
  }
  std::sort(latencies.begin(), latencies.end());
  summary.availability = static_cast<double>(summary.ok) / static_cast<double>(summary.requests);
  summary.p50_ms = ns_to_ms(percentile(latencies, 0.50));
  summary.p99_ms = ns_to_ms(percentile(latencies, 0.99));
  summary.max_ms = ns_to_ms(latencies.back());
  summary.mean_ms =
      std::accumulate(latencies.begin(), latencies.end(), 0.0) / 1e6 / static_cast<double>(latencies.size());
  return summary;
}

nlohmann::json to_json(const LatencySummary& summary) {
  return {{"requests", summary.requests},
          {"ok", summary.ok},
          {"errors", summary.errors},
          {"availability", summary.availability},
          {"latency_ms",
           {{"p50", summary.p50_ms},
            {"p99", summary.p99_ms},
            {"max", summary.max_ms},
            {"mean", summary.mean_ms}}},
          {"errors_by_kind", summary.errors_by_kind}};
}

}  // namespace faultline::demo
