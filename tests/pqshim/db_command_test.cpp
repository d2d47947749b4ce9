// `faultline db terminate` and `faultline db lock` observed from libpq
// clients, and the one-line failures of bad database input (a DSN that does
// not connect, a bad SQLSTATE, a pattern that does not compile).
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <string>

#include "faultline/testing/process.h"
#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {
namespace {

class DbCommandTest : public pq::testing::PostgresTest {
 protected:
  testing::Process start_lock(const std::string& hold) {
    testing::Process p = testing::Process::spawn(
        {faultline_path(), "db", "lock", "--dsn", dsn(), "--table", "trades", "--for", hold},
        testing::SpawnOptions().without_preload());
    const auto held = p.read_line(20s);
    EXPECT_TRUE(held.has_value() && held->rfind("locked \"trades\" (ACCESS EXCLUSIVE)", 0) == 0)
        << held.value_or("<nothing>");
    return p;
  }
};

TEST_F(DbCommandTest, ShouldTerminateTheSessionsOfTheDatabaseAndSayHowMany) {
  server().recreate_database("victims");
  PqClient a = PqClient::start(testing::SpawnOptions().without_preload());
  PqClient b = PqClient::start(testing::SpawnOptions().without_preload());
  PqClient bystander = PqClient::start(testing::SpawnOptions().without_preload());
  ASSERT_EQ(a.run("connect " + server().dsn_for("victims"))["status"], "OK");
  ASSERT_EQ(b.run("connect " + server().dsn_for("victims"))["status"], "OK");
  ASSERT_EQ(bystander.run("connect " + dsn())["status"], "OK");

  const testing::RunResult r = run_cli({"db", "terminate", "--dsn", admin_dsn(), "--database", "victims"});
  EXPECT_TRUE(testing::exited_with(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, "terminated 2 sessions of database victims\n");

  for (PqClient* c : {&a, &b}) {
    const Reply q = c->run("exec SELECT 1");
    EXPECT_EQ(q["status"], "PGRES_FATAL_ERROR");
    EXPECT_EQ(q["conn"], "BAD");
    // libpq reports the server's FATAL message if it reads it before it
    // notices the closed socket, else the closed socket itself.
    EXPECT_TRUE(q.message.find("terminating connection due to administrator command") != std::string::npos ||
                q.message.find("server closed the connection unexpectedly") != std::string::npos)
        << q.message;
  }
  EXPECT_EQ(bystander.run("exec SELECT 1")["value"], "1");
}

TEST_F(DbCommandTest, ShouldHoldTheTableLockForTheDurationThenRelease) {
  testing::Process lock = start_lock("1500ms");
  PqClient c = PqClient::start(testing::SpawnOptions().without_preload());
  ASSERT_EQ(c.run("connect " + dsn())["status"], "OK");
  EXPECT_EQ(c.run("exec SET lock_timeout = '100ms'")["status"], "PGRES_COMMAND_OK");
  EXPECT_EQ(c.run("exec SELECT count(*) FROM trades")["sqlstate"], "55P03");  // lock_not_available

  const auto released = lock.read_line(20s);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->rfind("released \"trades\" after ", 0), 0u) << *released;
  EXPECT_EQ(released->find("interrupted"), std::string::npos) << *released;
  const auto status = lock.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(testing::exited_with(*status, 0));
  EXPECT_EQ(c.run("exec SELECT count(*) FROM trades")["value"], "0");
}

TEST_F(DbCommandTest, ShouldReleaseTheLockOnSigterm) {
  testing::Process lock = start_lock("60s");
  PqClient c = PqClient::start(testing::SpawnOptions().without_preload());
  ASSERT_EQ(c.run("connect " + dsn())["status"], "OK");
  EXPECT_EQ(c.run("exec SET lock_timeout = '100ms'")["status"], "PGRES_COMMAND_OK");
  EXPECT_EQ(c.run("exec SELECT count(*) FROM trades")["sqlstate"], "55P03");

  ::kill(lock.pid(), SIGTERM);
  const auto released = lock.read_line(20s);
  ASSERT_TRUE(released.has_value());
  EXPECT_NE(released->find("(interrupted)"), std::string::npos) << *released;
  const auto status = lock.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(testing::exited_with(*status, 0));
  EXPECT_EQ(c.run("exec SELECT count(*) FROM trades")["value"], "0");
}

void expect_one_line_failure(const testing::RunResult& r, const std::string& needle) {
  EXPECT_FALSE(testing::exited_with(r.status, 0)) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_EQ(r.output.rfind("faultline: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

TEST(DbCommandInput, ShouldRejectADsnThatDoesNotConnectInOneLine) {
  const std::string closed = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=5";
  expect_one_line_failure(run_cli({"db", "terminate", "--dsn", closed, "--database", "trading"}), "port=1");
  expect_one_line_failure(run_cli({"db", "lock", "--dsn", closed, "--table", "trades", "--for", "1s"}),
                          "port=1");
  expect_one_line_failure(run_cli({"db", "lock", "--dsn", "port=notanumber", "--table", "t", "--for", "1s"}),
                          "db lock");
}

TEST_F(DbCommandTest, ShouldRejectAMissingTableInOneLine) {
  expect_one_line_failure(run_cli({"db", "lock", "--dsn", dsn(), "--table", "no_such_table", "--for", "1s"}),
                          "no_such_table");
}

TEST_F(DbCommandTest, ShouldRejectBadPqFaultInputInOneLine) {
  PqClient target = PqClient::start();
  const std::string pid = std::to_string(target.pid());
  expect_one_line_failure(run_cli({"inject", "-p", pid, "pq-error", "--sqlstate", "4000"}), "sqlstate");
  expect_one_line_failure(run_cli({"inject", "-p", pid, "pq-slow", "--delay", "10ms", "--sql", "(unclosed"}),
                          "--sql");
  // std::regex accepts a back-reference; the target's matcher refuses it, and says why.
  expect_one_line_failure(
      run_cli({"inject", "-p", pid, "pq-error", "--sqlstate", "40001", "--sql", "(a)\\1"}),
      "back-references");
  EXPECT_TRUE(target.control().faults().empty());
}

}  // namespace
}  // namespace faultline::pqshim
