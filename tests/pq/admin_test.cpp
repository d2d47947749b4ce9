// The database-side actions behind `faultline db terminate` and
// `faultline db lock`, observed from ordinary client sessions.
#include "faultline/pq/admin.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "faultline/pq/connection.h"
#include "faultline/pq/error.h"
#include "postgres_server.h"

namespace faultline::pq {
namespace {

using std::chrono::milliseconds;
using testing::PostgresTest;

constexpr const char* kInsert = "INSERT INTO trades (symbol, side, qty, price) VALUES ('AAPL', 'buy', 1, 1)";

void expect_connection_lost(Connection& conn) {
  try {
    conn.exec("SELECT 1");
    ADD_FAILURE() << "session " << conn.backend_pid() << " survived";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnection) << e.what();
  }
}

TEST_F(PostgresTest, ShouldReturnTheNumberOfSessionsItTerminated) {
  server().recreate_database("terminate_count");
  const std::string db_dsn = server().dsn_for("terminate_count");
  std::vector<Connection> sessions;
  for (int i = 0; i < 3; ++i) sessions.push_back(Connection::open(db_dsn));
  Connection elsewhere = Connection::open(dsn());  // another database: untouched

  EXPECT_EQ(terminate_backends(admin_dsn(), "terminate_count"), 3);

  for (auto& s : sessions) expect_connection_lost(s);
  EXPECT_NO_THROW(elsewhere.exec("SELECT 1"));
  EXPECT_EQ(terminate_backends(admin_dsn(), "terminate_count"), 0);
}

TEST_F(PostgresTest, ShouldNotTerminateItsOwnAdminSession) {
  server().recreate_database("terminate_self");
  const std::string db_dsn = server().dsn_for("terminate_self");
  Connection other = Connection::open(db_dsn);
  EXPECT_EQ(terminate_backends(db_dsn, "terminate_self"), 1);
  expect_connection_lost(other);
}

TEST(TerminateBackends, ShouldNameTheDsnWhenTheAdminCannotConnect) {
  try {
    terminate_backends("host=127.0.0.1 port=1 user=postgres dbname=postgres", "trading");
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("port=1"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresTest, ShouldBlockWritersWhileTheTableLockIsHeldAndLetThemInAfterRelease) {
  TableLock lock(dsn(), "trades");
  ASSERT_TRUE(lock.held());
  Connection writer = Connection::open(dsn());
  writer.exec("SET statement_timeout = '300ms'");
  try {
    writer.exec(kInsert);
    FAIL() << "a writer got past an ACCESS EXCLUSIVE lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "57014") << e.what();  // canceled by statement_timeout while waiting
  }

  lock.release();
  EXPECT_FALSE(lock.held());
  writer.exec("SET statement_timeout = 0");
  EXPECT_EQ(writer.exec(kInsert).affected_rows(), 1);
}

TEST_F(PostgresTest, ShouldReleaseTheTableLockWhenDestroyed) {
  {
    TableLock first(dsn(), "trades");
    try {
      TableLock second(dsn(), "trades", milliseconds(100));
      FAIL() << "two sessions held ACCESS EXCLUSIVE on one table";
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), "55P03") << e.what();  // lock_not_available
    }
  }
  TableLock again(dsn(), "trades", milliseconds(5000));
  EXPECT_TRUE(again.held());
}

TEST_F(PostgresTest, ShouldStopHoldingTheLockWhenTheStopFlagIsRaised) {
  TableLock lock(dsn(), "public.trades");
  EXPECT_EQ(lock.quoted_table(), "\"public\".\"trades\"");
  std::atomic<bool> stop{false};
  std::thread interrupter([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop = true;
  });
  EXPECT_EQ(lock.hold_for(std::chrono::seconds(60), &stop), TableLock::HoldEnd::kStopped);
  interrupter.join();
  EXPECT_EQ(lock.hold_for(milliseconds(20)), TableLock::HoldEnd::kElapsed);
  EXPECT_TRUE(lock.held());
}

TEST_F(PostgresTest, ShouldReportTheLockLostWhenItsSessionIsTerminated) {
  TableLock lock(dsn(), "trades");
  // At least the lock's session; a just-closed session of the fixture may still be counted.
  EXPECT_GE(terminate_backends(admin_dsn(), "trading"), 1);
  try {
    lock.hold_for(std::chrono::seconds(60));
    FAIL() << "held a lock whose session is gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnection) << e.what();
  }
  EXPECT_FALSE(lock.held());
}

TEST_F(PostgresTest, ShouldQuoteTheTableNameInsteadOfRunningIt) {
  try {
    TableLock lock(dsn(), "trades; DROP TABLE trades");
    FAIL() << "locked a table that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "42P01") << e.what();  // undefined_table: the whole string was one name
  }
  EXPECT_EQ(count_trades(), 0);  // the table is still there
  EXPECT_THROW(TableLock(dsn(), "a.b.c"), Error);
}

}  // namespace
}  // namespace faultline::pq
