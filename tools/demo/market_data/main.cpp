// market_data: the market-data service. Consumes the exchange feed (UDP,
// epoll event loop on its own thread), keeps the latest quote per symbol and
// serves it over HTTP (see market_data_api.h) from the server's threads.
//
//   market_data --feed 127.0.0.1:9100 --http 127.0.0.1:8000

#include <CLI/CLI.hpp>
#include <thread>

#include "faultline/demo/endpoint.h"
#include "faultline/demo/http_server_thread.h"
#include "faultline/demo/logging.h"
#include "faultline/demo/stop_signals.h"
#include "feed_receiver.h"
#include "market_data_api.h"

int main(int argc, char** argv) {
  using namespace faultline::demo;
  install_stop_signals();
  init_logging("market_data");

  std::string feed_text = "127.0.0.1:9100", http_text = "127.0.0.1:8000";
  CLI::App app{"Keeps the latest quote per symbol from a UDP feed and serves it over HTTP"};
  app.add_option("--feed", feed_text, "IPV4:PORT the feed's datagrams arrive on")->capture_default_str();
  app.add_option("--http", http_text, "IPV4:PORT of the HTTP API")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto feed = parse_endpoint(feed_text);
  const auto http = parse_endpoint(http_text);
  if (!feed || !http) {
    spdlog::error("--feed and --http take IPV4:PORT (got '{}', '{}')", feed_text, http_text);
    return 2;
  }

  try {
    QuoteBook book;
    FeedReceiver receiver(*feed, book);
    httplib::Server server;
    register_market_data_api(server, book);
    HttpServerThread http_thread(server, *http);  // both bound: a taken port fails here
    std::thread feed_loop([&receiver] { receiver.run(); });
    spdlog::info("feed on udp {}, HTTP on {}", feed->to_string(), http->to_string());

    const int signal = *wait_for_stop_signal();
    spdlog::info("signal {}: stopping", signal);
    receiver.stop();
    feed_loop.join();
    const FeedCounters counters = book.counters();
    spdlog::info("stopped: {} datagrams, {} applied, {} malformed, {} stale, {} missing", counters.received,
                 counters.applied, counters.malformed, counters.stale, counters.missing);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  return 0;
}
