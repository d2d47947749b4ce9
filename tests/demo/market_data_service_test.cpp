// exchange_feed and market_data as processes: every quote the feed sends
// reaches the book and the HTTP API.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "demo_processes.h"
#include "faultline/demo/quote.h"
#include "faultline/testing/loopback.h"
#include "faultline/testing/process.h"

namespace faultline::demo {
namespace {

using namespace std::chrono_literals;
using faultline::testing::Process;
using faultline::testing::SpawnOptions;
using namespace faultline::demo::testing;

class MarketDataService : public ::testing::Test {
 protected:
  void SetUp() override {
    feed_port_ = free_udp_port();
    http_port_ = free_tcp_port();
    service_.emplace(Process::spawn(
        {demo_program("market_data"), "--feed", address(feed_port_), "--http", address(http_port_)},
        SpawnOptions().without_preload()));
    ASSERT_TRUE(eventually([&] { return http_get(http_port_, "/api/health").has_value(); }))
        << "market_data did not serve HTTP";
  }

  static std::string address(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

  nlohmann::json feed_counters() {
    const auto health = http_get(http_port_, "/api/health");
    return health ? health->body["feed"] : nlohmann::json();
  }

  std::uint16_t feed_port_ = 0, http_port_ = 0;
  std::optional<Process> service_;
};

TEST_F(MarketDataService, ShouldAnswer503BeforeTheFirstQuoteAnd404ForAnUnknownSymbol) {
  EXPECT_EQ(http_get(http_port_, "/api/market-data/latest")->status, 503);
  EXPECT_EQ(http_get(http_port_, "/api/market-data/latest?symbol=AAPL")->status, 404);
}

TEST_F(MarketDataService, ShouldApplyEveryQuoteTheFeedSendsInOrder) {
  const auto feed = faultline::testing::run({demo_program("exchange_feed"), "--target", address(feed_port_),
                                             "--rate", "5000", "--count", "1000", "--symbols", "AAPL,MSFT"},
                                            60s, SpawnOptions().without_preload());
  ASSERT_TRUE(faultline::testing::exited_with(feed.status, 0));

  ASSERT_TRUE(eventually([&] { return feed_counters()["received"] == 1000; })) << feed_counters().dump();
  const nlohmann::json counters = feed_counters();
  EXPECT_EQ(counters["applied"], 1000);
  EXPECT_EQ(counters["missing"], 0);
  EXPECT_EQ(counters["stale"], 0);
  EXPECT_EQ(counters["malformed"], 0);

  const auto latest = http_get(http_port_, "/api/market-data/latest");
  ASSERT_EQ(latest->status, 200);
  EXPECT_EQ(latest->body["sequence"], 1000);
  EXPECT_EQ(latest->body["symbol"], "MSFT");  // quotes alternate, 1000 is even
  EXPECT_GE(latest->body["age_ms"].get<double>(), 0.0);
  EXPECT_LT(latest->body["bid"].get<double>(), latest->body["ask"].get<double>());
  EXPECT_EQ(http_get(http_port_, "/api/market-data/latest?symbol=AAPL")->body["sequence"], 999);
}

TEST_F(MarketDataService, ShouldCountAMalformedDatagramAndKeepItOutOfTheBook) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = faultline::testing::loopback(feed_port_);
  const std::array<char, 10> garbage{"not-quote"};
  ASSERT_EQ(sendto(fd, garbage.data(), garbage.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(garbage.size()));
  close(fd);
  ASSERT_TRUE(eventually([&] { return feed_counters()["malformed"] == 1; })) << feed_counters().dump();
  EXPECT_EQ(http_get(http_port_, "/api/market-data/latest")->status, 503);
}

TEST_F(MarketDataService, ShouldExitCleanlyOnSigterm) {
  EXPECT_TRUE(faultline::testing::exited_with(service_->kill_and_reap(SIGTERM), 0));
}

// The feed keeps an absolute schedule: it can fall behind on a busy machine
// but never runs ahead of its rate.
TEST(ExchangeFeed, ShouldSendConsecutiveSequenceNumbersNoFasterThanTheRate) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const std::uint16_t port = faultline::testing::bind_loopback(fd);
  ASSERT_NE(port, 0);
  const int buffer = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  const timeval wait{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);

  const auto started = std::chrono::steady_clock::now();
  const auto feed =
      faultline::testing::run({demo_program("exchange_feed"), "--target", "127.0.0.1:" + std::to_string(port),
                               "--rate", "1000", "--count", "300", "--symbols", "AAPL,MSFT,JPM"},
                              60s, SpawnOptions().without_preload());
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(faultline::testing::exited_with(feed.status, 0));
  EXPECT_GE(took, 299ms) << "300 quotes at 1000/s cannot take less than 299 ms";

  const std::array<const char*, 3> symbols = {"AAPL", "MSFT", "JPM"};
  for (std::uint64_t expected = 1; expected <= 300; ++expected) {
    std::array<std::byte, kQuoteWireSize> datagram{};
    ASSERT_EQ(recv(fd, datagram.data(), datagram.size(), 0), static_cast<ssize_t>(kQuoteWireSize));
    const auto quote = decode_quote(datagram);
    ASSERT_TRUE(quote);
    ASSERT_EQ(quote->sequence, expected);
    ASSERT_EQ(quote->symbol, symbols[(expected - 1) % 3]);
  }
  close(fd);
}

}  // namespace
}  // namespace faultline::demo
