// Sends orders to the order service at a steady rate, open loop: order i is
// due at start + i / rate whether or not earlier orders have been answered,
// and its latency counts from when it was due, not from when a worker got to
// send it. A stalled service therefore shows up as latency instead of
// silently lowering the rate (no coordinated omission). Workers each keep one
// keep-alive connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "faultline/demo/endpoint.h"
#include "faultline/demo/order.h"
#include "latency_summary.h"

namespace faultline::demo {

struct LoadOptions {
  Endpoint target;
  double rate = 100;                                  // orders per second
  std::optional<std::chrono::milliseconds> duration;  // none: until stop()
  int workers = 8;
  std::chrono::milliseconds timeout{5000};  // per order
  std::uint64_t seed = 1;
};

// Order `index` of a run: the same seed and index always give the same order.
Order make_order(std::uint64_t seed, std::uint64_t index, const std::string& run_id);

class OrderLoad {
 public:
  explicit OrderLoad(LoadOptions options);
  ~OrderLoad();
  OrderLoad(const OrderLoad&) = delete;
  OrderLoad& operator=(const OrderLoad&) = delete;

  void start();
  void stop();  // no order is started after this; answers in flight are awaited
  void join();
  // Every order of the duration has been answered.
  bool finished() const { return finished_workers_.load() == options_.workers; }

  // Outcomes recorded since the previous call (for periodic reports).
  std::vector<RequestOutcome> take_recent();
  std::vector<RequestOutcome> all() const;

 private:
  void work();

  LoadOptions options_;
  std::string run_id_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<std::uint64_t> next_index_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> finished_workers_{0};
  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::vector<RequestOutcome> outcomes_;
  std::size_t reported_ = 0;
};

}  // namespace faultline::demo
