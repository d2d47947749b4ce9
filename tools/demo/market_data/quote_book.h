// The latest quote per symbol and when it arrived, shared between the feed
// loop (writes) and the HTTP threads (read). The feed carries one sequence
// number per datagram: a quote not newer than the last applied one is stale
// (duplicated or overtaken on the way) and is counted, not applied; a jump
// counts the sequence numbers that never arrived. Sequence 1 starts a new
// feed session (the exchange restarted).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "faultline/demo/quote.h"

namespace faultline::demo {

struct BookEntry {
  Quote quote;
  std::int64_t updated_wall_ns = 0;  // when this process applied the quote
};

struct FeedCounters {
  std::uint64_t received = 0;   // datagrams read
  std::uint64_t applied = 0;    // quotes that updated the book
  std::uint64_t malformed = 0;  // datagrams that did not decode
  std::uint64_t stale = 0;      // quotes not newer than the last applied one
  std::uint64_t missing = 0;    // sequence numbers skipped over (lost on the way)
};

class QuoteBook {
 public:
  // Applies `quote`, received at `received_wall_ns`; false when it is stale.
  bool apply(const Quote& quote, std::int64_t received_wall_ns);
  void count_malformed();

  // The most recently updated symbol's entry; nullopt before the first quote.
  std::optional<BookEntry> latest() const;
  std::optional<BookEntry> find(std::string_view symbol) const;
  FeedCounters counters() const;
  std::size_t symbols() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, BookEntry> by_symbol_;
  std::string latest_symbol_;
  std::uint64_t last_sequence_ = 0;
  FeedCounters counters_;
};

}  // namespace faultline::demo
