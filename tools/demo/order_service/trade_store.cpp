#include "trade_store.h"

#include <charconv>

namespace faultline::demo {
namespace {

// Fills once per client_order_id. The no-op update on conflict is what makes
// RETURNING give the existing row's id (DO NOTHING would return no row).
constexpr const char* kInsertFill = R"sql(
INSERT INTO trades (client_order_id, symbol, side, qty, price)
VALUES ($1, $2, $3, $4, $5::numeric)
ON CONFLICT (client_order_id) DO UPDATE SET client_order_id = EXCLUDED.client_order_id
RETURNING id)sql";

bool is_uri(const std::string& dsn) {
  return dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
}

}  // namespace

std::string dsn_with_statement_timeout(const std::string& dsn, std::chrono::milliseconds timeout) {
  const std::string setting = "-c statement_timeout=" + std::to_string(timeout.count());
  if (is_uri(dsn)) {
    const char separator = dsn.find('?') == std::string::npos ? '?' : '&';
    return dsn + separator + "options=-c%20statement_timeout%3D" + std::to_string(timeout.count());
  }
  return dsn + " options='" + setting + "'";
}

pq::PoolOptions trade_pool_options(const std::string& dsn, std::chrono::milliseconds budget) {
  pq::PoolOptions options;
  options.dsn = dsn_with_statement_timeout(dsn, budget);
  // None at start: a replica comes up (and reports unhealthy) even while the
  // database is away, instead of crash-looping under its supervisor.
  options.min_connections = 0;
  options.max_connections = 4;
  options.acquire_timeout = budget;
  options.connect_timeout = std::chrono::seconds(2);
  options.backoff.max_elapsed = budget;
  return options;
}

std::int64_t TradeStore::record_fill(const Order& order) {
  const pq::Params params = {
      order.client_order_id.empty() ? std::nullopt : std::optional<std::string>(order.client_order_id),
      order.symbol, std::string(to_string(order.side)), std::to_string(order.quantity),
      format_price(order.price)};
  const pq::Result result = pool_.execute_with_retry(kInsertFill, params);
  const std::string_view id_text = result.value(0, 0);
  std::int64_t id = 0;
  std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  return id;
}

void TradeStore::probe(std::chrono::milliseconds lock_wait) {
  pq::ResilientPool::Lease lease = pool_.acquire();
  lease->exec("BEGIN; SET LOCAL lock_timeout = " + std::to_string(lock_wait.count()) +
              "; SELECT 1 FROM trades LIMIT 0; COMMIT");
}

}  // namespace faultline::demo
