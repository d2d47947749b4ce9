// order_service as a process against a real PostgreSQL: fills land in the
// trades table once per client order id, the pool rides out terminated
// sessions, and a table locked past the budget makes the replica answer 503
// and report unhealthy until the table is free again.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "demo_processes.h"
#include "faultline/pq/admin.h"
#include "faultline/pq/connection.h"
#include "faultline/testing/process.h"
#include "postgres_server.h"

namespace faultline::demo {
namespace {

using namespace std::chrono_literals;
using faultline::testing::Process;
using faultline::testing::SpawnOptions;
using namespace faultline::demo::testing;

constexpr const char* kOrder =
    R"({"client_order_id":"t-1","symbol":"AAPL","side":"buy","qty":100,"price":187.25})";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OrderService : public pq::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    pq::Connection::open(dsn()).exec(read_file(std::string(FAULTLINE_SOURCE_DIR) + "/tools/demo/schema.sql"));
    port_ = free_tcp_port();
    service_.emplace(
        Process::spawn({demo_program("order_service"), "--http", "127.0.0.1:" + std::to_string(port_),
                        "--replica", "2", "--dsn", dsn(), "--db-budget", "1s"},
                       SpawnOptions().without_preload()));
    ASSERT_TRUE(eventually([&] { return health_status() == 200; })) << "order_service did not become healthy";
  }

  int health_status() {
    const auto answer = http_get(port_, "/api/health");
    return answer ? answer->status : 0;
  }

  std::uint16_t port_ = 0;
  std::optional<Process> service_;
};

TEST_F(OrderService, ShouldWriteTheFillAndAnswer201WithTheTradeId) {
  const auto answer = http_post(port_, "/api/orders", kOrder);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 201) << answer->body.dump();
  EXPECT_EQ(answer->body["replica"], 2);
  EXPECT_EQ(answer->body["client_order_id"], "t-1");

  const auto row = pq::Connection::open(dsn()).exec(
      "SELECT id, symbol, side, qty, price::text, client_order_id FROM trades");
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.value(0, 0), std::to_string(answer->body["trade_id"].get<long long>()));
  EXPECT_EQ(row.value(0, 1), "AAPL");
  EXPECT_EQ(row.value(0, 2), "buy");
  EXPECT_EQ(row.value(0, 3), "100");
  EXPECT_EQ(row.value(0, 4), "187.2500");
  EXPECT_EQ(row.value(0, 5), "t-1");
}

TEST_F(OrderService, ShouldFillAClientOrderIdOnlyOnce) {
  const auto first = http_post(port_, "/api/orders", kOrder);
  const auto again = http_post(port_, "/api/orders", kOrder);
  ASSERT_EQ(first->status, 201);
  ASSERT_EQ(again->status, 201);
  EXPECT_EQ(first->body["trade_id"], again->body["trade_id"]);
  EXPECT_EQ(count_trades(), 1);
}

TEST_F(OrderService, ShouldRejectAnInvalidOrderWith400AndWriteNothing) {
  const auto answer = http_post(port_, "/api/orders", R"({"symbol":"AAPL","side":"buy","qty":-1,"price":1})");
  ASSERT_EQ(answer->status, 400);
  EXPECT_NE(answer->body["error"].get<std::string>().find("qty"), std::string::npos);
  EXPECT_EQ(count_trades(), 0);
}

TEST_F(OrderService, ShouldKeepFillingOrdersAfterItsDatabaseSessionsAreTerminated) {
  ASSERT_EQ(http_post(port_, "/api/orders", kOrder)->status, 201);
  ASSERT_GE(pq::terminate_backends(admin_dsn(), "trading"), 1);

  const auto after = http_post(
      port_, "/api/orders", R"({"client_order_id":"t-2","symbol":"MSFT","side":"sell","qty":5,"price":411})");
  ASSERT_EQ(after->status, 201) << after->body.dump();
  EXPECT_EQ(count_trades(), 2);
  const auto health = http_get(port_, "/api/health");
  ASSERT_EQ(health->status, 200);
  EXPECT_GE(health->body["pool"]["reconnects"].get<int>(), 1) << health->body.dump();
}

TEST_F(OrderService, ShouldAnswer503AndReportUnhealthyWhileTradesIsLockedPastTheBudget) {
  {
    pq::TableLock lock(dsn(), "trades");
    const auto answer = http_post(port_, "/api/orders", kOrder);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 503) << answer->body.dump();
    EXPECT_EQ(health_status(), 503);
  }
  EXPECT_EQ(health_status(), 200) << "the health probe finds the table writable again";
  EXPECT_EQ(http_post(port_, "/api/orders", kOrder)->status, 201);
}

}  // namespace
}  // namespace faultline::demo
