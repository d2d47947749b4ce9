// A real PostgreSQL 15 for the pq tests, started by scripts/pg-temp.sh in a
// temporary folder the first time a test asks for it, and stopped when the
// test binary ends: by the GoogleTest environment normally, and by a reaper
// process if the binary dies first (crash, abort, exit).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace faultline::pq::testing {

class PostgresServer {
 public:
  // The running server; starts it once per process. Throws std::runtime_error
  // if it cannot be started (the script's reason is on stderr), and again on
  // every later call without retrying.
  static const PostgresServer& get();

  // host=127.0.0.1 port=N user=postgres dbname=trading
  const std::string& dsn() const noexcept { return dsn_; }
  // The same server, another database.
  std::string dsn_for(std::string_view database) const;
  // Drops (forcing its sessions out) and recreates an empty database.
  void recreate_database(const std::string& name) const;

  static void stop();

 private:
  PostgresServer() = default;

  std::string dir_;
  std::string dsn_;
  int reaper_pipe_ = -1;
  int reaper_pid_ = -1;
};

// Fixture for tests that need the server: fails the test (not the binary)
// when the server could not be started, and empties the trades table.
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  const PostgresServer& server() const { return *server_; }
  const std::string& dsn() const { return server_->dsn(); }
  // An administrator's DSN on another database, so its own session never
  // counts among the trading database's sessions.
  std::string admin_dsn() const { return server_->dsn_for("postgres"); }
  long long count_trades() const;

 private:
  const PostgresServer* server_ = nullptr;
};

}  // namespace faultline::pq::testing
