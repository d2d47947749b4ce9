// order_service: one replica of the order service. Takes orders over HTTP
// and writes each fill to PostgreSQL through the resilient pool (order_api.h,
// trade_store.h). Run several behind order_gateway, under supervisor.
//
//   order_service --http 127.0.0.1:8081 --replica 0 --dsn "host=127.0.0.1 port=5432 dbname=trading"

#include <CLI/CLI.hpp>

#include "faultline/demo/endpoint.h"
#include "faultline/demo/http_server_thread.h"
#include "faultline/demo/logging.h"
#include "faultline/demo/stop_signals.h"
#include "faultline/pq/dsn.h"
#include "order_api.h"

int main(int argc, char** argv) {
  using namespace faultline::demo;
  namespace pq = faultline::pq;
  install_stop_signals();
  init_logging("order_service");

  std::string http_text = "127.0.0.1:8081", dsn;
  int replica = 0;
  std::int64_t budget_ms = 5000;
  const CLI::AsNumberWithUnit milliseconds(std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}});

  CLI::App app{"Takes orders over HTTP and writes each fill to the trades table"};
  app.add_option("--http", http_text, "IPV4:PORT to serve on")->capture_default_str();
  app.add_option("--dsn", dsn, "libpq connection string of the trading database")->required();
  app.add_option("--replica", replica, "this replica's index, reported in answers")->capture_default_str();
  app.add_option("--db-budget", budget_ms, "longest an order may wait for the database (retries, locks)")
      ->transform(milliseconds)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto http = parse_endpoint(http_text);
  if (!http) {
    spdlog::error("--http '{}' is not IPV4:PORT", http_text);
    return 2;
  }

  try {
    const std::chrono::milliseconds budget(budget_ms);
    pq::ResilientPool pool(trade_pool_options(dsn, budget));
    TradeStore store(pool);
    WriteHealth health;
    try {
      store.probe(budget);
    } catch (const pq::Error& error) {
      health.failed(pq::one_line(error.what()));  // serve anyway, reporting unhealthy
    }

    httplib::Server server;
    register_order_api(server, pool, store, health, replica);
    HttpServerThread http_thread(server, *http);
    spdlog::info("replica {} on {}, database {}, budget {}ms", replica, http->to_string(),
                 pq::redact_dsn(dsn), budget_ms);
    const int signal = *wait_for_stop_signal();
    spdlog::info("signal {}: stopping", signal);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  return 0;
}
