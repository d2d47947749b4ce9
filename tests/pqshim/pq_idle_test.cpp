// The preload changes nothing it was not asked to: an idle preload gives a
// libpq client the very same results, and programs without libpq run as
// before. With telemetry on, connects, queries and round trips are timed.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "faultline/testing/process.h"
#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {
namespace {

using abi::CallClass;

class PqIdleTest : public pq::testing::PostgresTest {};

// Every field of every reply but the elapsed time.
std::vector<std::string> session(PqClient& c, const std::string& dsn) {
  const std::vector<std::string> commands = {
      "connect " + dsn,
      "exec BEGIN",
      "exec INSERT INTO trades (symbol, side, qty, price) VALUES ('AAPL', 'buy', 3, 187.5) RETURNING qty",
      "exec SELECT symbol || ':' || side FROM trades",
      "exec SELECT 1/0",
      "exec SELECT 1",
      "exec ROLLBACK",
      "params SELECT count(*) FROM trades",
      "prepare p SELECT 42",
      "prepared p",
      "prepared missing",
      "send SELECT 'async'",
      "send_params SELECT nosuchcolumn",
      "send_prepared p",
      "connect_async " + dsn,
      "exec SELECT current_database()",
      "reset",
      "exec SELECT 2",
  };
  std::vector<std::string> out;
  for (const std::string& command : commands) {
    Reply r = c.run(command);
    r.fields.erase("elapsed_ns");
    std::string line = r.kind;
    for (const auto& [k, v] : r.fields) line += " " + k + "=" + v;
    out.push_back(command + " -> " + line + " message=" + r.message);
  }
  return out;
}

TEST_F(PqIdleTest, ShouldLeaveQueryResultsIdenticalWhenIdle) {
  PqClient plain = PqClient::start(testing::SpawnOptions().without_preload());
  const std::vector<std::string> expected = session(plain, dsn());
  PqClient preloaded = PqClient::start();
  EXPECT_EQ(session(preloaded, dsn()), expected);
  EXPECT_TRUE(preloaded.control().faults().empty());
}

TEST(PqWithoutLibpq, ShouldLeaveProgramsWithoutLibpqUnaffected) {
  const testing::RunResult t = testing::run({"/bin/true"}, 10s);
  EXPECT_TRUE(testing::exited_with(t.status, 0));
  const testing::RunResult py = testing::run(
      {"/usr/bin/python3", "-c", "import socket, os; print(6 * 7); print(socket.gethostname() != '')"}, 30s);
  EXPECT_TRUE(testing::exited_with(py.status, 0));
  EXPECT_EQ(py.output, "42\nTrue\n");
  const testing::RunResult sh = testing::run({"/bin/sh", "-c", "echo $((6 * 7)) && exit 3"}, 10s);
  EXPECT_TRUE(testing::exited_with(sh.status, 3));
  EXPECT_EQ(sh.output, "42\n");
}

TEST_F(PqIdleTest, ShouldTimeConnectsQueriesAndRoundTrips) {
  PqClient c = PqClient::start(testing::SpawnOptions().with_env("FAULTLINE_TELEMETRY=1"));
  ASSERT_EQ(c.run("connect " + dsn())["status"], "OK");
  abi::FaultSpec slow = with_sql(pq_fault("slow", abi::FaultKind::kPqSlow), "^SELECT 3$");
  slow.delay_ns = 20 * kMs;
  expect_injected(c.control(), slow);
  EXPECT_EQ(c.run("exec SELECT 1")["value"], "1");
  EXPECT_EQ(c.run("exec SELECT 1/0")["sqlstate"], "22012");
  EXPECT_EQ(c.run("exec SELECT 3")["value"], "3");
  EXPECT_EQ(c.run("send SELECT 4")["value"], "4");  // PQgetResult twice: the row, then null
  EXPECT_EQ(c.run("connect_async " + dsn())["status"], "OK");

  const cp::TelemetrySnapshot t = c.control().telemetry();
  const auto& connects = t.classes[static_cast<int>(CallClass::kPqConnect)];
  const auto& queries = t.classes[static_cast<int>(CallClass::kPqQuery)];
  const auto& round_trips = t.classes[static_cast<int>(CallClass::kPqRoundTrip)];
  const auto& injected = t.classes[static_cast<int>(CallClass::kInjectedDelay)];
  EXPECT_EQ(connects.calls, 2u);
  EXPECT_EQ(connects.errors, 0u);
  EXPECT_EQ(queries.calls, 4u);  // nested PQsendQuery/PQgetResult inside PQexec are not counted again
  EXPECT_EQ(queries.errors, 1u);
  EXPECT_EQ(queries.faulted, 1u);
  EXPECT_GE(queries.max_ns, static_cast<std::uint64_t>(20 * kMs));
  EXPECT_EQ(round_trips.calls, 2u);
  EXPECT_EQ(injected.calls, 1u);
  EXPECT_GE(injected.sum_ns, static_cast<std::uint64_t>(20 * kMs));
}

}  // namespace
}  // namespace faultline::pqshim
