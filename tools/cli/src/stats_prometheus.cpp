// Prometheus exposition for 'faultline stats --prometheus'. Every family's
// # HELP and # TYPE come once, before its samples from every target.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/cli/parse.h"
#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/validate.h"
#include "stats_sample.h"

namespace faultline::cli {
namespace {

// Histogram bounds are powers of two nanoseconds, 2^10 (~1us) to 2^34
// (~17s): exact bucket boundaries of the target's log-linear histogram, so
// the cumulative counts are exact.
constexpr std::uint32_t kFirstBoundLog2 = 10;
constexpr std::uint32_t kLastBoundLog2 = 34;

std::string escape_value(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Label names allow [a-zA-Z0-9_]; a target's own labels become label_<key>.
std::string label_name(std::string_view key) {
  std::string out = "label_";
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

std::string target_labels(const TargetSample& s) {
  std::string out =
      fmt::format("pid=\"{}\",program=\"{}\"", s.target->pid(), escape_value(s.target->program));
  for (const auto& [key, value] : split_labels(s.target->labels))
    out += fmt::format(",{}=\"{}\"", label_name(key), escape_value(value));
  return out;
}

struct Family {
  std::string name, type, help, samples;
  void header_and_samples(std::string& out) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    out += samples;
  }
};

void add_histogram(std::string& out, const std::string& labels, const cp::ClassStats& c) {
  std::uint64_t cumulative = 0;
  std::uint32_t bucket = 0;
  for (std::uint32_t log2 = kFirstBoundLog2; log2 <= kLastBoundLog2; ++log2) {
    const std::uint64_t bound = 1ULL << log2;
    // Buckets below `bound` hold only values below it (bound is a bucket's low edge).
    for (; bucket < c.buckets.size() && abi::hist_bucket_low(bucket) < bound; ++bucket)
      cumulative += c.buckets[bucket];
    out += fmt::format("faultline_call_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                       static_cast<double>(bound) / 1e9, cumulative);
  }
  const std::uint64_t count = c.count();
  out += fmt::format("faultline_call_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, count);
  out += fmt::format("faultline_call_duration_seconds_sum{{{}}} {}\n", labels,
                     static_cast<double>(c.sum_ns) / 1e9);
  out += fmt::format("faultline_call_duration_seconds_count{{{}}} {}\n", labels, count);
}

}  // namespace

std::string render_prometheus(const std::vector<TargetSample>& samples) {
  Family enabled{"faultline_telemetry_enabled", "gauge", "1 if the target records telemetry", ""};
  Family calls{"faultline_calls_total", "counter", "Intercepted calls by class", ""};
  Family bytes{"faultline_bytes_total", "counter", "Bytes moved by intercepted calls by class", ""};
  Family errors{"faultline_errors_total", "counter", "Intercepted calls that failed, by class", ""};
  Family faulted{"faultline_faulted_total", "counter", "Intercepted calls a fault changed, by class", ""};
  Family duration{"faultline_call_duration_seconds", "histogram", "Duration of intercepted calls by class",
                  ""};
  Family hits{"faultline_fault_hits_total", "counter", "Times each armed fault acted", ""};
  Family internal{"faultline_internal_errors_total", "counter",
                  "Calls passed through because of a shim failure", ""};
  for (const TargetSample& s : samples) {
    const std::string labels = target_labels(s);
    const cp::TelemetrySnapshot& t = s.current;
    enabled.samples += fmt::format("faultline_telemetry_enabled{{{}}} {}\n", labels, t.enabled ? 1 : 0);
    internal.samples += fmt::format("faultline_internal_errors_total{{{}}} {}\n", labels, t.internal_errors);
    for (std::size_t i = 0; i < t.classes.size(); ++i) {
      const cp::ClassStats& c = t.classes[i];
      if (c.calls == 0) continue;
      const std::string with_class =
          fmt::format("{},class=\"{}\"", labels, cp::call_class_name(static_cast<abi::CallClass>(i)));
      calls.samples += fmt::format("faultline_calls_total{{{}}} {}\n", with_class, c.calls);
      bytes.samples += fmt::format("faultline_bytes_total{{{}}} {}\n", with_class, c.bytes);
      errors.samples += fmt::format("faultline_errors_total{{{}}} {}\n", with_class, c.errors);
      faulted.samples += fmt::format("faultline_faulted_total{{{}}} {}\n", with_class, c.faulted);
      add_histogram(duration.samples, with_class, c);
    }
    for (const FaultHits& f : s.faults)
      hits.samples += fmt::format("faultline_fault_hits_total{{{},fault_id=\"{}\"}} {}\n", labels,
                                  escape_value(f.id), f.hits);
  }
  std::string out;
  for (const Family* f : {&enabled, &calls, &bytes, &errors, &faulted, &duration, &hits, &internal})
    f->header_and_samples(out);
  return out;
}

}  // namespace faultline::cli
