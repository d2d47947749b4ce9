// Telemetry probes of the `faultline` provider: a statistic of the targets a
// selector names (p99 of a call class, error rate, calls per second ...)
// over the last sample window, from their shared-memory histograms.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faultline::experiment {

// "tcp_recv" (or "tcp-recv") -> abi::CallClass index; nullopt if unknown.
std::optional<std::uint32_t> call_class_from_name(const std::string& name);
std::string call_class_names();  // for messages

// Percentile q of abi histogram buckets (upper bucket bound), 0 if empty.
std::uint64_t bucket_percentile_ns(const std::vector<std::uint64_t>& buckets, double q);

struct Selector {
  std::optional<pid_t> pid;
  std::string labels;  // "k=v,k=v": every pair must be among the target's labels
  std::string name;    // program name
  bool all = false;
  std::vector<std::string> cli_args() const;  // {"-l", "app=x"} ...
};

// From {"pid": N} / {"labels": "k=v"} / {"name": "x"} / {"all": true} or a
// CLI-style string ("-l app=x", "-p 12", "-n md", "--all"). nullopt with
// `error` set when malformed.
std::optional<Selector> parse_selector(const nlohmann::json& value, std::string* error);

bool labels_match(const std::string& wanted, const std::string& have);

struct TelemetryReading {
  nlohmann::json value;                  // the metric (null when there were no calls)
  std::vector<std::uint64_t> histogram;  // latency metrics: the window's buckets
  std::size_t targets = 0;
};

class TelemetrySampler {
 public:
  TelemetrySampler();
  ~TelemetrySampler();  // switches telemetry back off where this run switched it on

  // `key` names the probe (windows are per probe). The first reading of a
  // key waits one `window` between two snapshots. Throws std::runtime_error
  // when no target matches.
  TelemetryReading read(const std::string& key, const nlohmann::json& provider,
                        std::chrono::nanoseconds window, const std::atomic<bool>* cancel);

  // A new phase: the next reading of every probe starts a fresh window.
  void reset_windows();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::experiment
