// faultline::pq::ResilientPool in a process under the preload rides out
// pq-sever and `faultline db terminate` without losing a committed write.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "faultline/pq/connection.h"
#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {
namespace {

class PoolRecoveryTest : public pq::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    pq::Connection admin = pq::Connection::open(dsn());
    admin.exec("DROP TABLE IF EXISTS pool_writes");
    admin.exec("CREATE TABLE pool_writes (id bigint PRIMARY KEY)");
    client.emplace(PqClient::start());
    ASSERT_EQ(client->run("pool " + dsn()).kind, "pool");
  }

  // Every id from 1 to n is in the table, and nothing else.
  void expect_writes(long n) {
    pq::Connection check = pq::Connection::open(dsn());
    const pq::Result r = check.exec("SELECT count(*), min(id), max(id) FROM pool_writes");
    EXPECT_EQ(r.value(0, 0), std::to_string(n));
    EXPECT_EQ(r.value(0, 1), "1");
    EXPECT_EQ(r.value(0, 2), std::to_string(n));
  }

  std::optional<PqClient> client;
};

TEST_F(PoolRecoveryTest, ShouldRecoverFromSeveredConnectionsWithoutLosingWrites) {
  Reply r = client->run("pool_insert 1 5");
  EXPECT_EQ(r["committed"], "5");
  abi::FaultSpec cut = with_sql(pq_fault("cut", abi::FaultKind::kPqSever), "^INSERT INTO pool_writes");
  cut.max_hits = 3;
  expect_injected(client->control(), cut);

  r = client->run("pool_insert 6 15");
  EXPECT_EQ(r["committed"], "15") << r.message;
  EXPECT_EQ(r["failed"], "0") << r.message;
  EXPECT_GE(r.number("retries"), 3);  // one per severed INSERT
  EXPECT_GE(r.number("reconnects"), 1);
  expect_writes(20);
}

TEST_F(PoolRecoveryTest, ShouldRecoverFromDbTerminateWithoutLosingWrites) {
  EXPECT_EQ(client->run("pool_insert 1 5")["committed"], "5");
  const testing::RunResult t = run_cli({"db", "terminate", "--dsn", admin_dsn(), "--database", "trading"});
  EXPECT_TRUE(testing::exited_with(t.status, 0)) << t.output;
  EXPECT_EQ(t.output, "terminated 2 sessions of database trading\n");

  const Reply r = client->run("pool_insert 6 5");
  EXPECT_EQ(r["committed"], "5") << r.message;
  EXPECT_EQ(r["failed"], "0") << r.message;
  EXPECT_GE(r.number("reconnects"), 1);
  expect_writes(10);
}

}  // namespace
}  // namespace faultline::pqshim
