// Where fills go: the `trades` table (tools/demo/schema.sql), written through
// faultline::pq::ResilientPool, which rides out dropped connections by
// reconnecting and retrying with exponential backoff.
//
// Writes are idempotent per client_order_id (a unique column): an order the
// gateway sends again, after a replica died mid-order or the pool retried a
// statement whose reply was lost, is filled once and answers with the same
// trade id.
//
// The database budget bounds how long one order may take: it is the pool's
// retry budget and also the server-side statement_timeout, so a statement
// stuck behind a table lock fails when the budget is spent instead of
// hanging the order.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "faultline/demo/order.h"
#include "faultline/pq/pool.h"

namespace faultline::demo {

// `dsn` (keyword=value or a postgresql:// URI) with statement_timeout set to
// `timeout` for every session opened with it.
std::string dsn_with_statement_timeout(const std::string& dsn, std::chrono::milliseconds timeout);

// Pool settings for an order service replica with the given budget.
pq::PoolOptions trade_pool_options(const std::string& dsn, std::chrono::milliseconds budget);

class TradeStore {
 public:
  explicit TradeStore(pq::ResilientPool& pool) : pool_(pool) {}

  // Records the fill of `order` and returns its trade id; throws pq::Error
  // when the pool gave up (its retry budget spent, or a permanent error).
  std::int64_t record_fill(const Order& order);

  // One quick look at whether orders could be written now: the trades table
  // is reachable and not locked (waits at most `lock_wait` for a lock). No
  // retries; throws pq::Error with the reason when not.
  void probe(std::chrono::milliseconds lock_wait);

 private:
  pq::ResilientPool& pool_;
};

}  // namespace faultline::demo
