#include "order_load.h"

#include <httplib.h>

#include <array>
#include <random>

#include "faultline/demo/wall_clock.h"

namespace faultline::demo {

Order make_order(std::uint64_t seed, std::uint64_t index, const std::string& run_id) {
  static const std::array<const char*, 8> kSymbols = {"AAPL", "MSFT", "AMZN", "NVDA",
                                                      "GOOG", "META", "TSLA", "JPM"};
  std::mt19937_64 random(seed * 0x9E3779B97F4A7C15ULL + index);
  Order order;
  order.client_order_id = "lg-" + run_id + "-" + std::to_string(index);
  order.symbol = kSymbols[random() % kSymbols.size()];
  order.side = random() % 2 == 0 ? Side::kBuy : Side::kSell;
  order.quantity = static_cast<std::int64_t>(1 + random() % 10) * 100;
  order.price =
      static_cast<Price>(50 + random() % 450) * kTicksPerUnit + static_cast<Price>(random() % 100) * 100;
  return order;
}

OrderLoad::OrderLoad(LoadOptions options)
    : options_(std::move(options)), run_id_(std::to_string(wall_clock_ns())) {}

OrderLoad::~OrderLoad() {
  stop();
  join();
}

void OrderLoad::start() {
  start_ = std::chrono::steady_clock::now();
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
}

void OrderLoad::stop() {
  stopping_.store(true);
}

void OrderLoad::join() {
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void OrderLoad::work() {
  httplib::Client client(options_.target.host, options_.target.port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // headers and body go out as separate writes
  client.set_connection_timeout(options_.timeout);
  client.set_read_timeout(options_.timeout);
  client.set_write_timeout(options_.timeout);
  const std::chrono::duration<double> period(1.0 / options_.rate);

  for (;;) {
    const std::uint64_t index = next_index_.fetch_add(1);
    const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * index);
    if (options_.duration && due - start_ >= *options_.duration) break;
    // Sleep in short steps so stop() takes effect promptly at low rates.
    while (!stopping_.load() && std::chrono::steady_clock::now() < due)
      std::this_thread::sleep_until(
          std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
    if (stopping_.load()) break;

    const auto result =
        client.Post("/api/orders", to_json(make_order(options_.seed, index, run_id_)), "application/json");
    RequestOutcome outcome;
    outcome.latency_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - due).count();
    if (!result) {
      outcome.error = httplib::to_string(result.error());
    } else if (result->status == 201) {
      outcome.ok = true;
    } else {
      outcome.error = "HTTP " + std::to_string(result->status);
    }
    std::lock_guard lock(mutex_);
    outcomes_.push_back(std::move(outcome));
  }
  finished_workers_.fetch_add(1);
}

std::vector<RequestOutcome> OrderLoad::take_recent() {
  std::lock_guard lock(mutex_);
  std::vector<RequestOutcome> recent(outcomes_.begin() + static_cast<std::ptrdiff_t>(reported_),
                                     outcomes_.end());
  reported_ = outcomes_.size();
  return recent;
}

std::vector<RequestOutcome> OrderLoad::all() const {
  std::lock_guard lock(mutex_);
  return outcomes_;
}

}  // namespace faultline::demo
