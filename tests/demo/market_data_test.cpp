// The market-data service's book and what its API reports, and the feed's
// pacing and prices.
#include <gtest/gtest.h>

#include <set>

#include "market_data_api.h"
#include "pacer.h"
#include "price_walk.h"
#include "quote_book.h"

namespace faultline::demo {
namespace {

Quote quote(const std::string& symbol, std::uint64_t sequence) {
  Quote q;
  q.symbol = symbol;
  q.sequence = sequence;
  q.exchange_time_ns = 1'000'000'000;
  q.bid = 1'000'000;
  q.ask = 1'000'100;
  return q;
}

TEST(QuoteBook, ShouldReportNothingBeforeTheFirstQuote) {
  QuoteBook book;
  EXPECT_FALSE(book.latest());
  EXPECT_FALSE(book.find("AAPL"));
}

TEST(QuoteBook, ShouldKeepTheLatestQuotePerSymbolAndTheMostRecentUpdateOverall) {
  QuoteBook book;
  ASSERT_TRUE(book.apply(quote("AAPL", 1), 100));
  ASSERT_TRUE(book.apply(quote("MSFT", 2), 200));
  ASSERT_TRUE(book.apply(quote("AAPL", 3), 300));
  EXPECT_EQ(book.latest()->quote.symbol, "AAPL");
  EXPECT_EQ(book.latest()->updated_wall_ns, 300);
  EXPECT_EQ(book.find("MSFT")->quote.sequence, 2u);
  EXPECT_EQ(book.symbols(), 2u);
}

TEST(QuoteBook, ShouldCountButNotApplyQuotesThatAreNotNewer) {
  QuoteBook book;
  book.apply(quote("AAPL", 5), 100);
  EXPECT_FALSE(book.apply(quote("AAPL", 5), 200));  // duplicated
  EXPECT_FALSE(book.apply(quote("MSFT", 4), 300));  // overtaken
  EXPECT_EQ(book.latest()->updated_wall_ns, 100);
  EXPECT_FALSE(book.find("MSFT"));
  const FeedCounters counters = book.counters();
  EXPECT_EQ(counters.received, 3u);
  EXPECT_EQ(counters.applied, 1u);
  EXPECT_EQ(counters.stale, 2u);
}

TEST(QuoteBook, ShouldCountSequenceNumbersThatNeverArrived) {
  QuoteBook book;
  book.apply(quote("AAPL", 10), 1);  // joining a running feed is not a gap
  book.apply(quote("AAPL", 11), 2);
  book.apply(quote("AAPL", 15), 3);
  EXPECT_EQ(book.counters().missing, 3u);
}

TEST(QuoteBook, ShouldStartANewSessionWhenTheFeedRestartsAtSequenceOne) {
  QuoteBook book;
  book.apply(quote("AAPL", 900), 1);
  EXPECT_TRUE(book.apply(quote("AAPL", 1), 2));
  EXPECT_TRUE(book.apply(quote("AAPL", 2), 3));
  EXPECT_EQ(book.counters().missing, 0u);
  EXPECT_EQ(book.counters().stale, 0u);
}

TEST(QuoteBook, ShouldCountMalformedDatagramsAsReceived) {
  QuoteBook book;
  book.count_malformed();
  EXPECT_EQ(book.counters().received, 1u);
  EXPECT_EQ(book.counters().malformed, 1u);
  EXPECT_FALSE(book.latest());
}

TEST(MarketDataApi, ShouldReportAgeSinceTheUpdateAndFeedLatency) {
  BookEntry entry{quote("AAPL", 7), 1'796'316'710'000'000'000};
  entry.quote.exchange_time_ns = entry.updated_wall_ns - 200'000'000;  // 200 ms on the way
  const auto json = book_entry_to_json(entry, entry.updated_wall_ns + 1'500'000);
  EXPECT_EQ(json["symbol"], "AAPL");
  EXPECT_EQ(json["sequence"], 7);
  EXPECT_DOUBLE_EQ(json["bid"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(json["ask"].get<double>(), 100.01);
  EXPECT_EQ(json["timestamp"], "2026-12-03T16:51:50.000000");
  EXPECT_EQ(json["exchange_timestamp"], "2026-12-03T16:51:49.800000");
  EXPECT_DOUBLE_EQ(json["age_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(json["feed_latency_ms"].get<double>(), 200.0);
}

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(Pacer, ShouldScheduleMessagesOnAnAbsoluteGridAtTheRate) {
  const auto start = Pacer::Clock::time_point{} + std::chrono::seconds(100);
  Pacer pacer(2000, start);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(pacer.next_due() - start, nanoseconds(500'000 * i));
    pacer.sent(pacer.next_due() + milliseconds(3));  // a little late each time: no drift
  }
  EXPECT_EQ(pacer.rebases(), 0u);
}

TEST(Pacer, ShouldRestartTheScheduleAfterAStallInsteadOfBursting) {
  const auto start = Pacer::Clock::time_point{} + std::chrono::seconds(100);
  Pacer pacer(1000, start, milliseconds(100));
  pacer.sent(start);
  const auto after_stall = start + std::chrono::seconds(2);
  pacer.sent(after_stall);
  EXPECT_EQ(pacer.rebases(), 1u);
  EXPECT_EQ(pacer.next_due(), after_stall + milliseconds(1));
}

TEST(PriceWalk, ShouldQuoteSymbolsInTurnWithoutCrossingTheBook) {
  PriceWalk walk({"AAPL", "MSFT", "JPM"}, 42);
  for (int i = 0; i < 3000; ++i) {
    const Quote q = walk.next();
    ASSERT_EQ(q.symbol, (std::array<const char*, 3>{"AAPL", "MSFT", "JPM"}[i % 3]));
    ASSERT_GT(q.bid, 0);
    ASSERT_GT(q.ask, q.bid);
  }
}

TEST(PriceWalk, ShouldReplayTheSamePricesForTheSameSeed) {
  PriceWalk first({"AAPL", "MSFT"}, 7), second({"AAPL", "MSFT"}, 7), other({"AAPL", "MSFT"}, 8);
  bool differs_from_other_seed = false;
  for (int i = 0; i < 100; ++i) {
    const Quote a = first.next(), b = second.next(), c = other.next();
    ASSERT_EQ(a.bid, b.bid);
    ASSERT_EQ(a.ask, b.ask);
    differs_from_other_seed |= a.bid != c.bid;
  }
  EXPECT_TRUE(differs_from_other_seed);
}

}  // namespace
}  // namespace faultline::demo
