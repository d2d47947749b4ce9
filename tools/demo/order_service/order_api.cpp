#include "order_api.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace faultline::demo {
namespace {

// How long a health probe waits for a lock on trades before calling the
// table unavailable.
constexpr std::chrono::milliseconds kProbeLockWait{250};

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

nlohmann::json pool_json(const pq::ResilientPool& pool) {
  const pq::PoolCounters counters = pool.counters();
  return {{"open", pool.size()},
          {"idle", pool.idle()},
          {"attempts", counters.attempts},
          {"retries", counters.retries},
          {"reconnects", counters.reconnects},
          {"failures", counters.failures},
          {"discarded", counters.discarded}};
}

}  // namespace

void WriteHealth::succeeded() {
  std::lock_guard lock(mutex_);
  if (failure_) spdlog::info("database writable again");
  failure_.reset();
}

void WriteHealth::failed(std::string reason) {
  std::lock_guard lock(mutex_);
  if (!failure_) spdlog::warn("database unavailable: {}", reason);
  failure_ = std::move(reason);
}

std::optional<std::string> WriteHealth::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void register_order_api(httplib::Server& server, pq::ResilientPool& pool, TradeStore& store,
                        WriteHealth& health, int replica) {
  server.Post("/api/orders", [&store, &health, replica](const httplib::Request& request,
                                                        httplib::Response& response) {
    Order order;
    try {
      order = parse_order(request.body);
    } catch (const std::invalid_argument& error) {
      return reply(response, 400, {{"error", error.what()}});
    }
    try {
      const std::int64_t trade_id = store.record_fill(order);
      health.succeeded();
      reply(response, 201,
            {{"trade_id", trade_id}, {"client_order_id", order.client_order_id}, {"replica", replica}});
    } catch (const pq::Error& error) {
      const std::string reason = pq::one_line(error.what());
      health.failed(reason);
      reply(response, 503, {{"error", reason}, {"kind", pq::to_string(error.kind())}, {"replica", replica}});
    }
  });

  const auto check_health = [&pool, &store, &health, replica](const httplib::Request&,
                                                              httplib::Response& response) {
    if (health.failure()) {
      try {
        store.probe(kProbeLockWait);
        health.succeeded();
      } catch (const pq::Error& error) {
        health.failed(pq::one_line(error.what()));
      }
    }
    if (const auto failure = health.failure()) {
      return reply(response, 503, {{"status", "unavailable"}, {"replica", replica}, {"reason", *failure}});
    }
    reply(response, 200, {{"status", "ok"}, {"replica", replica}, {"pool", pool_json(pool)}});
  };
  server.Get("/api/health", check_health);
  server.Post("/api/health", check_health);
}

}  // namespace faultline::demo
