// The order service's HTTP API (one replica).
//
//   POST /api/orders      an order (faultline/demo/order.h)
//     201 {"trade_id": 42, "client_order_id": "...", "replica": 0}  filled
//     400 {"error": ...}   the order is invalid
//     503 {"error": ...}   the database could not take it within the budget
//   GET|POST /api/health
//     200 {"status": "ok", "replica": 0, "pool": {...}}
//     503 {"status": "unavailable", "replica": 0, "reason": ...}
//
// Healthy means: the process is up and its database pool is not in a failed
// state. The pool is failed from an order write that gave up (retry budget
// spent, statement timed out, no connection) until a later write succeeds,
// or until a health check finds the trades table writable again (one quick
// probe, no retries, made only while failed): so a replica recovers without
// order traffic, and a healthy replica's health check costs no database
// round trip.
#pragma once

#include <httplib.h>

#include <mutex>
#include <optional>
#include <string>

#include "trade_store.h"

namespace faultline::demo {

class WriteHealth {
 public:
  void succeeded();
  void failed(std::string reason);
  // The reason while failed; nullopt while healthy.
  std::optional<std::string> failure() const;

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> failure_;
};

void register_order_api(httplib::Server& server, pq::ResilientPool& pool, TradeStore& store,
                        WriteHealth& health, int replica);

}  // namespace faultline::demo
