// The preload changes nothing it was not asked to: an idle preload gives a
// libpq client the very same results, and programs without libpq run as
// before. With telemetry on, connects, queries and round trips are timed.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "faultline/testing/process.h"
#include "faultline/testing/targets.h"
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

// Python's ctypes loads libpq privately (RTLD_LOCAL): the preload's wrappers,
// reached by libpq's own internal calls, must still find the real functions.
constexpr const char* kCtypesClient = R"(
import ctypes, os, sys
pq = ctypes.CDLL("libpq.so.5")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQexec.restype = ctypes.c_void_p
pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQgetvalue.restype = ctypes.c_char_p
pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
pq.PQresultErrorField.restype = ctypes.c_char_p
pq.PQresultErrorField.argtypes = [ctypes.c_void_p, ctypes.c_int]
pq.PQstatus.argtypes = [ctypes.c_void_p]
pq.PQresultStatus.argtypes = [ctypes.c_void_p]
conn = pq.PQconnectdb(sys.argv[1].encode())
print("status", pq.PQstatus(conn), flush=True)
for line in sys.stdin:
    r = pq.PQexec(conn, line.strip().encode())
    if pq.PQresultStatus(r) == 2:
        print("value", pq.PQgetvalue(r, 0, 0).decode(), flush=True)
    else:
        print("sqlstate", (pq.PQresultErrorField(r, ord("C")) or b"-").decode(), flush=True)
)";

TEST_F(PqIdleTest, ShouldServeAProgramThatLoadsLibpqPrivately) {
  testing::Process py = testing::Process::spawn({"/usr/bin/python3", "-c", kCtypesClient, dsn()},
                                                testing::SpawnOptions().with_stdin());
  EXPECT_EQ(py.read_line(30s).value_or("<none>"), "status 0");
  py.write_stdin("SELECT 41 + 1\n");
  EXPECT_EQ(py.read_line(30s).value_or("<none>"), "value 42");
  std::string reason;
  std::optional<cp::Client> control = testing::wait_for_segment(py.pid(), 5s, &reason);
  ASSERT_TRUE(control.has_value()) << reason;
  abi::FaultSpec f = pq_fault("ctypes", abi::FaultKind::kPqError);
  std::strncpy(f.sqlstate, "40001", sizeof f.sqlstate - 1);
  expect_injected(*control, f);
  // ctypes calls libpq's PQexec itself; its inner PQsendQuery reaches the wrapper.
  py.write_stdin("SELECT 1\n");
  EXPECT_EQ(py.read_line(30s).value_or("<none>"), "sqlstate 40001");
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
