// The market-data service's HTTP API.
//
//   GET /api/market-data/latest[?symbol=S]
//     200 {"symbol": "AAPL", "bid": 187.25, "ask": 187.27, "sequence": 1234,
//          "timestamp": "2026-12-03T16:07:13.123456",   last update, UTC
//          "age_ms": 0.4,            now - last update: the freshness probes read
//          "exchange_timestamp": "...", the exchange's time on that quote
//          "feed_latency_ms": 0.1}   exchange time -> applied here
//     503 {"error": ...} before the first quote; 404 for an unknown symbol.
//     Without ?symbol, the most recently updated symbol.
//   GET /api/health
//     200 {"status": "ok", "symbols": N, "feed": {received, applied,
//          malformed, stale, missing}}: the process serves; whether the data
//          is fresh is the freshness probe's question, not the health's.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "quote_book.h"

namespace faultline::demo {

nlohmann::json book_entry_to_json(const BookEntry& entry, std::int64_t now_wall_ns);

void register_market_data_api(httplib::Server& server, const QuoteBook& book);

}  // namespace faultline::demo
