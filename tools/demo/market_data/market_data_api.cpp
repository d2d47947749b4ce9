#include "market_data_api.h"

#include "faultline/demo/wall_clock.h"

namespace faultline::demo {
namespace {

double ns_to_ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

}  // namespace

nlohmann::json book_entry_to_json(const BookEntry& entry, std::int64_t now_wall_ns) {
  const Quote& quote = entry.quote;
  return {{"symbol", quote.symbol},
          {"bid", price_to_double(quote.bid)},
          {"ask", price_to_double(quote.ask)},
          {"sequence", quote.sequence},
          {"timestamp", format_utc_iso8601(entry.updated_wall_ns)},
          {"age_ms", ns_to_ms(now_wall_ns - entry.updated_wall_ns)},
          {"exchange_timestamp", format_utc_iso8601(quote.exchange_time_ns)},
          {"feed_latency_ms", ns_to_ms(entry.updated_wall_ns - quote.exchange_time_ns)}};
}

void register_market_data_api(httplib::Server& server, const QuoteBook& book) {
  server.Get("/api/market-data/latest",
             [&book](const httplib::Request& request, httplib::Response& response) {
               if (request.has_param("symbol")) {
                 const auto symbol = request.get_param_value("symbol");
                 const auto entry = book.find(symbol);
                 if (!entry) return reply(response, 404, {{"error", "no quote for symbol " + symbol}});
                 return reply(response, 200, book_entry_to_json(*entry, wall_clock_ns()));
               }
               const auto entry = book.latest();
               if (!entry) return reply(response, 503, {{"error", "no market data received yet"}});
               reply(response, 200, book_entry_to_json(*entry, wall_clock_ns()));
             });

  server.Get("/api/health", [&book](const httplib::Request&, httplib::Response& response) {
    const FeedCounters feed = book.counters();
    reply(response, 200,
          {{"status", "ok"},
           {"symbols", book.symbols()},
           {"feed",
            {{"received", feed.received},
             {"applied", feed.applied},
             {"malformed", feed.malformed},
             {"stale", feed.stale},
             {"missing", feed.missing}}}});
  });
}

}  // namespace faultline::demo
