// Each pq fault as a libpq client under the preload sees it, against a real
// PostgreSQL: pq-sever, pq-slow, pq-error (every statement API) and
// pq-refuse (every connect API).
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "connected_client_test.h"
#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {
namespace {

using abi::FaultKind;

constexpr const char* kServerClosed = "server closed the connection unexpectedly";

class PqFaultTest : public ConnectedClientTest {
 protected:
  std::uint64_t hits(const char* id) {
    const auto view = fault_view(control(), id);
    if (!view) ADD_FAILURE() << "fault " << id << " is not armed";
    return view ? view->hits : 0;
  }
  std::string port() const { return dsn_port(dsn()); }
};

abi::FaultSpec error_fault(const char* id, const char* sqlstate, const char* message = "") {
  abi::FaultSpec f = pq_fault(id, FaultKind::kPqError);
  std::strncpy(f.sqlstate, sqlstate, sizeof f.sqlstate - 1);
  std::strncpy(f.message, message, sizeof f.message - 1);
  return f;
}

TEST_F(PqFaultTest, ShouldSeverTheConnectionLikeAServerCrash) {
  expect_injected(control(), with_sql(pq_fault("cut", FaultKind::kPqSever), "^SELECT 2"));
  EXPECT_EQ(client->run("exec SELECT 1")["status"], "PGRES_TUPLES_OK");
  const Reply r = client->run("exec SELECT 2");
  EXPECT_EQ(r["status"], "PGRES_FATAL_ERROR");
  EXPECT_EQ(r["conn"], "BAD");
  EXPECT_NE(r.message.find(kServerClosed), std::string::npos) << r.message;
  EXPECT_EQ(hits("cut"), 1u);
  // A client that reconnects recovers.
  EXPECT_EQ(client->run("reset")["status"], "OK");
  EXPECT_EQ(client->run("exec SELECT 1")["value"], "1");
}

TEST_F(PqFaultTest, ShouldSeverAnAsynchronousQuery) {
  expect_injected(control(), pq_fault("cut", FaultKind::kPqSever));
  const Reply r = client->run("send SELECT 1");
  EXPECT_EQ(r["status"], "PGRES_FATAL_ERROR");
  EXPECT_EQ(r["conn"], "BAD");
  EXPECT_NE(r.message.find(kServerClosed), std::string::npos) << r.message;
}

TEST_F(PqFaultTest, ShouldDelayMatchingQueriesByAtLeastTheDelay) {
  abi::FaultSpec slow = with_sql(pq_fault("slow", FaultKind::kPqSlow), "^SELECT 3");
  slow.delay_ns = 300 * kMs;
  expect_injected(control(), slow);
  EXPECT_EQ(client->run("exec SELECT 1")["value"], "1");
  EXPECT_EQ(hits("slow"), 0u);
  for (const char* command : {"exec SELECT 3", "params SELECT 3", "send SELECT 3"}) {
    const Reply r = client->run(command);
    EXPECT_EQ(r["value"], "3") << command;
    EXPECT_GE(r.number("elapsed_ns"), 300 * kMs) << command;
  }
  EXPECT_EQ(hits("slow"), 3u);
}

TEST_F(PqFaultTest, ShouldFailWithAGenuineErrorResultCarryingTheSqlstate) {
  expect_injected(control(), error_fault("serial", "40001", "could not serialize access"));
  const Reply r = client->run("exec SELECT 1");
  EXPECT_EQ(r["status"], "PGRES_FATAL_ERROR");
  EXPECT_EQ(r["sqlstate"], "40001");
  EXPECT_EQ(r.message, "ERROR:  could not serialize access\n");
  EXPECT_EQ(r["conn"], "OK");
  EXPECT_EQ(r["txn"], "IDLE");
}

TEST_F(PqFaultTest, ShouldInjectTheErrorThroughEveryStatementApi) {
  // Prepared before anything is armed: its text is still known to --sql.
  EXPECT_EQ(client->run("prepare five SELECT 5")["status"], "PGRES_COMMAND_OK");
  expect_injected(control(), with_sql(error_fault("deadlock", "40P01"), "^SELECT 5$"));
  for (const char* command : {"exec SELECT 5", "params SELECT 5", "prepared five", "send SELECT 5",
                              "send_params SELECT 5", "send_prepared five"}) {
    const Reply r = client->run(command);
    EXPECT_EQ(r["status"], "PGRES_FATAL_ERROR") << command;
    EXPECT_EQ(r["sqlstate"], "40P01") << command;
    EXPECT_EQ(r.message, "ERROR:  deadlock detected\n") << command;  // the default for 40P01
    EXPECT_EQ(r["conn"], "OK") << command;
  }
  EXPECT_EQ(client->run("exec SELECT 6")["value"], "6");
  EXPECT_EQ(hits("deadlock"), 6u);
}

TEST_F(PqFaultTest, ShouldAbortTheTransactionAsARealErrorDoes) {
  expect_injected(control(), with_sql(error_fault("update", "40001"), "^UPDATE"));
  EXPECT_EQ(client->run("exec BEGIN")["txn"], "INTRANS");
  const Reply failed = client->run("exec UPDATE trades SET qty = 2");
  EXPECT_EQ(failed["sqlstate"], "40001");
  EXPECT_EQ(failed["txn"], "INERROR");
  EXPECT_EQ(client->run("exec SELECT 1")["sqlstate"], "25P02");  // from the server, not injected
  EXPECT_EQ(client->run("exec ROLLBACK")["txn"], "IDLE");
  EXPECT_EQ(client->run("exec SELECT 1")["value"], "1");
}

TEST_F(PqFaultTest, ShouldCarryAnyMessageVerbatim) {
  const char* message = "it's $faultline$ 100% \\ \"odd\"";
  expect_injected(control(), error_fault("odd", "P0001", message));
  const Reply r = client->run("exec SELECT 1");
  EXPECT_EQ(r["sqlstate"], "P0001");
  EXPECT_EQ(r.message, std::string("ERROR:  ") + message + "\n");
}

TEST_F(PqFaultTest, ShouldRefuseNewConnectionsWithTheGenuineMessage) {
  expect_injected(control(), pq_fault("refuse", FaultKind::kPqRefuse));
  EXPECT_EQ(client->run("exec SELECT 1")["value"], "1");  // an open connection is not affected
  for (const std::string command : {"connect ", "connect_async "}) {
    const Reply r = client->run(command + dsn());
    EXPECT_EQ(r["status"], "BAD") << command;
    EXPECT_NE(r.message.find("connection to server at \"127.0.0.1\", port " + port() +
                             " failed: Connection refused"),
              std::string::npos)
        << command << r.message;
  }
  clear(control(), "refuse");
  EXPECT_EQ(client->run("connect " + dsn())["status"], "OK");
}

TEST_F(PqFaultTest, ShouldRefuseAReconnectByPqReset) {
  expect_injected(control(), pq_fault("refuse", FaultKind::kPqRefuse));
  const Reply r = client->run("reset");
  EXPECT_EQ(r["status"], "BAD");
  EXPECT_NE(r.message.find("Connection refused"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace faultline::pqshim
