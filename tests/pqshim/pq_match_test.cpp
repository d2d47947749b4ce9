// What selects the calls a pq fault changes, seen from a libpq client under
// the preload: --sql on the statement (and on a prepared statement's text),
// --db on the connection's database, --max-hits, and a seeded --pct that a
// second run replays.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "connected_client_test.h"
#include "faultline/pq/connection.h"
#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {
namespace {

using abi::FaultKind;

abi::FaultSpec serialization_error(const char* id) {
  abi::FaultSpec f = pq_fault(id, FaultKind::kPqError);
  std::strncpy(f.sqlstate, "40001", sizeof f.sqlstate - 1);
  return f;
}

class PqMatchTest : public ConnectedClientTest {};

TEST_F(PqMatchTest, ShouldChangeOnlyStatementsMatchingTheSqlPattern) {
  expect_injected(control(), with_sql(serialization_error("inserts"), "^INSERT INTO trades\\b"));
  const std::string insert = "INSERT INTO trades (symbol, side, qty, price) VALUES ('AAPL', 'buy', 1, 1)";
  EXPECT_EQ(client->run("exec " + insert)["sqlstate"], "40001");
  EXPECT_EQ(client->run("exec SELECT count(*) FROM trades")["value"], "0");
  EXPECT_EQ(client->run("params SELECT 'INSERT INTO trades'")["status"], "PGRES_TUPLES_OK");
  EXPECT_EQ(
      client->run("exec insert into trades (symbol, side, qty, price) VALUES ('X', 'buy', 1, 1)")["status"],
      "PGRES_COMMAND_OK");  // the pattern is case-sensitive
  const auto view = fault_view(control(), "inserts");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->matched, 1u);
  EXPECT_EQ(view->hits, 1u);
}

TEST_F(PqMatchTest, ShouldMatchAPreparedStatementByTheTextItWasPreparedWith) {
  EXPECT_EQ(client->run("prepare count_trades SELECT count(*) FROM trades")["status"], "PGRES_COMMAND_OK");
  EXPECT_EQ(client->run("prepare one SELECT 1")["status"], "PGRES_COMMAND_OK");
  expect_injected(control(), with_sql(serialization_error("counts"), "count\\(\\*\\) FROM trades"));
  EXPECT_EQ(client->run("prepared count_trades")["sqlstate"], "40001");
  EXPECT_EQ(client->run("prepared one")["value"], "1");
  EXPECT_EQ(client->run("send_prepared count_trades")["sqlstate"], "40001");
}

TEST_F(PqMatchTest, ShouldChangeOnlyConnectionsToTheNamedDatabase) {
  server().recreate_database("orders");
  PqClient other = PqClient::start();
  ASSERT_EQ(other.run("connect " + server().dsn_for("orders"))["status"], "OK");
  expect_injected(other.control(), with_db(serialization_error("orders-only"), "orders"));
  expect_injected(control(), with_db(serialization_error("orders-only"), "orders"));
  EXPECT_EQ(other.run("exec SELECT 1")["sqlstate"], "40001");
  EXPECT_EQ(client->run("exec SELECT 1")["value"], "1");

  // pq-refuse by database: connects to trading go through.
  expect_injected(control(), with_db(pq_fault("refuse-orders", FaultKind::kPqRefuse), "orders"));
  EXPECT_EQ(client->run("connect " + server().dsn_for("orders"))["status"], "BAD");
  EXPECT_EQ(client->run("connect " + dsn())["status"], "OK");
  // The database named in a URI.
  EXPECT_EQ(client->run("connect postgresql://postgres@127.0.0.1:" + dsn_port(dsn()) + "/orders")["status"],
            "BAD");
}

TEST_F(PqMatchTest, ShouldStopAfterMaxHits) {
  abi::FaultSpec f = serialization_error("twice");
  f.max_hits = 2;
  expect_injected(control(), f);
  int errors = 0;
  for (int i = 0; i < 5; ++i) errors += client->run("exec SELECT 1")["sqlstate"] == "40001" ? 1 : 0;
  EXPECT_EQ(errors, 2);
}

std::string outcomes(PqClient& c, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += c.run("exec SELECT 1")["sqlstate"] == "40001" ? 'E' : '.';
  return out;
}

TEST_F(PqMatchTest, ShouldReplayTheSameFailuresWithTheSameSeed) {
  abi::FaultSpec f = serialization_error("half");
  f.pct_ppm = 500'000;
  f.seed = 1234;
  expect_injected(control(), f);
  constexpr int kQueries = 64;
  const std::string first = outcomes(*client, kQueries);

  PqClient again = PqClient::start();
  ASSERT_EQ(again.run("connect " + dsn())["status"], "OK");
  expect_injected(again.control(), f);
  EXPECT_EQ(outcomes(again, kQueries), first);
  // Binomial(64, 0.5): sd 4; 4 sd either side.
  const auto errors = std::count(first.begin(), first.end(), 'E');
  EXPECT_GE(errors, 32 - 16);
  EXPECT_LE(errors, 32 + 16);
}

}  // namespace
}  // namespace faultline::pqshim
