#include "quote_book.h"

namespace faultline::demo {

bool QuoteBook::apply(const Quote& quote, std::int64_t received_wall_ns) {
  std::lock_guard lock(mutex_);
  ++counters_.received;
  const bool new_session = quote.sequence == 1;
  if (!new_session && quote.sequence <= last_sequence_) {
    ++counters_.stale;
    return false;
  }
  if (!new_session && last_sequence_ != 0) counters_.missing += quote.sequence - last_sequence_ - 1;
  last_sequence_ = quote.sequence;

  by_symbol_.insert_or_assign(quote.symbol, BookEntry{quote, received_wall_ns});
  latest_symbol_ = quote.symbol;
  ++counters_.applied;
  return true;
}

void QuoteBook::count_malformed() {
  std::lock_guard lock(mutex_);
  ++counters_.received;
  ++counters_.malformed;
}

std::optional<BookEntry> QuoteBook::latest() const {
  std::lock_guard lock(mutex_);
  if (latest_symbol_.empty()) return std::nullopt;
  return by_symbol_.at(latest_symbol_);
}

std::optional<BookEntry> QuoteBook::find(std::string_view symbol) const {
  std::lock_guard lock(mutex_);
  const auto it = by_symbol_.find(std::string(symbol));
  if (it == by_symbol_.end()) return std::nullopt;
  return it->second;
}

FeedCounters QuoteBook::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::size_t QuoteBook::symbols() const {
  std::lock_guard lock(mutex_);
  return by_symbol_.size();
}

}  // namespace faultline::demo
