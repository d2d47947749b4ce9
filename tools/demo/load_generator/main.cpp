// load_generator: sends orders to the order service at a steady rate for a
// duration (order_load.h) and reports what it saw: a line per interval on
// stderr while it runs, and at the end a JSON summary on stdout:
//
//   {"target": "127.0.0.1:8080", "rate": 100, "duration_s": 10.0, "requests": 1000,
//    "ok": 998, "errors": 2, "availability": 0.998,
//    "latency_ms": {"p50": 1.1, "p99": 4.2, "max": 250.3, "mean": 1.4},
//    "errors_by_kind": {"HTTP 503": 2}}
//
// Exit 0; 1 when --min-availability is given and not met; 2 on bad usage.
//
//   load_generator --target 127.0.0.1:8080 --rate 100 --duration 10s [--min-availability 0.99]

#include <CLI/CLI.hpp>
#include <cstdio>

#include "faultline/demo/logging.h"
#include "faultline/demo/stop_signals.h"
#include "order_load.h"

int main(int argc, char** argv) {
  using namespace faultline::demo;
  install_stop_signals();
  init_logging("load_generator");

  std::string target_text = "127.0.0.1:8080";
  LoadOptions options;
  std::int64_t duration_ms = 10'000, timeout_ms = options.timeout.count(), report_every_ms = 1000;
  double min_availability = 0;
  const CLI::AsNumberWithUnit milliseconds(
      std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}, {"m", 60'000}});

  CLI::App app{"Sends orders at a steady rate and reports availability and latency"};
  app.add_option("--target", target_text, "IPV4:PORT of the order service (its gateway)")
      ->capture_default_str();
  app.add_option("--rate", options.rate, "orders per second")
      ->check(CLI::Range(0.1, 100'000.0))
      ->capture_default_str();
  app.add_option("--duration", duration_ms, "how long to send (0: until SIGTERM)")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("--workers", options.workers, "concurrent connections")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--timeout", timeout_ms, "per-order timeout")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("--report-every", report_every_ms, "interval of the progress lines")
      ->transform(milliseconds)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the generated orders")->capture_default_str();
  app.add_option("--min-availability", min_availability,
                 "exit 1 when fewer orders than this fraction succeed")
      ->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);

  const auto target = parse_endpoint(target_text);
  if (!target) {
    spdlog::error("--target '{}' is not IPV4:PORT", target_text);
    return 2;
  }
  options.target = *target;
  if (duration_ms > 0) options.duration = std::chrono::milliseconds(duration_ms);
  options.timeout = std::chrono::milliseconds(timeout_ms);

  OrderLoad load(options);
  const auto start = std::chrono::steady_clock::now();
  load.start();
  auto next_report = start + std::chrono::milliseconds(report_every_ms);
  while (!load.finished()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_report - std::chrono::steady_clock::now());
    if (wait_for_stop_signal(std::min(left, std::chrono::milliseconds(50)))) {
      spdlog::info("stopping early on a signal");
      load.stop();
      break;
    }
    if (std::chrono::steady_clock::now() < next_report) continue;
    next_report += std::chrono::milliseconds(report_every_ms);
    const LatencySummary recent = summarize(load.take_recent());
    spdlog::info("t={:.1f}s orders={} ok={} errors={} p50={:.2f}ms p99={:.2f}ms max={:.2f}ms",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 recent.requests, recent.ok, recent.errors, recent.p50_ms, recent.p99_ms, recent.max_ms);
  }
  load.join();

  const LatencySummary summary = summarize(load.all());
  nlohmann::json report = to_json(summary);
  report["target"] = target->to_string();
  report["rate"] = options.rate;
  report["duration_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\n", report.dump().c_str());
  if (min_availability > 0 && summary.availability < min_availability) {
    spdlog::error("availability {:.4f} is below the required {:.4f}", summary.availability, min_availability);
    return 1;
  }
  return 0;
}
