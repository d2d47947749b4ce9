// Connection and Result against a real server, and the message a DSN that
// does not connect produces.
#include "faultline/pq/connection.h"

#include <gtest/gtest.h>

#include "faultline/pq/error.h"
#include "faultline/pq/pool.h"
#include "postgres_server.h"

namespace faultline::pq {
namespace {

using testing::PostgresTest;

// Nothing listens on port 1 of the loopback: the connect is refused at once.
constexpr const char* kRefusedDsn =
    "host=127.0.0.1 port=1 user=postgres password=s3cret dbname=trading connect_timeout=3";

void expect_refused_message(const Error& e) {
  const std::string message = e.what();
  EXPECT_EQ(e.kind(), ErrorKind::kConnection);
  EXPECT_NE(message.find("port=1"), std::string::npos) << message;
  EXPECT_NE(message.find("Connection refused"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(Connect, ShouldNameTheDsnWithoutPasswordAndLibpqsReasonWhenRefused) {
  try {
    Connection::open(kRefusedDsn);
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    expect_refused_message(e);
  }
}

TEST(Connect, ShouldFailThePoolAtConstructionWhenItsDsnDoesNotConnect) {
  PoolOptions options;
  options.dsn = kRefusedDsn;
  try {
    ResilientPool pool(options);
    FAIL() << "pool opened connections to a closed port";
  } catch (const Error& e) {
    expect_refused_message(e);
  }
}

TEST(Connect, ShouldRejectADsnLibpqCannotParseAsPermanent) {
  try {
    Connection::open("host=127.0.0.1 no_such_option=1");
    FAIL() << "accepted an unknown option";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPermanent);
    EXPECT_NE(std::string(e.what()).find("no_such_option"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresTest, ShouldReturnRowsAndParametersThroughAConnection) {
  Connection conn = Connection::open(dsn());
  EXPECT_TRUE(conn.ok());
  Result r = conn.exec("SELECT $1::int + 1, $2::text IS NULL", {"41", std::nullopt});
  ASSERT_EQ(r.rows(), 1);
  ASSERT_EQ(r.columns(), 2);
  EXPECT_EQ(r.value(0, 0), "42");
  EXPECT_EQ(r.value(0, 1), "t");
  Result insert =
      conn.exec("INSERT INTO trades (symbol, side, qty, price) VALUES ('A','buy',1,1), ('B','sell',2,2)");
  EXPECT_EQ(insert.affected_rows(), 2);
}

TEST_F(PostgresTest, ShouldThrowAPermanentErrorWithTheSqlstateOfAConstraintViolation) {
  Connection conn = Connection::open(dsn());
  try {
    conn.exec("INSERT INTO trades (symbol, side, qty, price) VALUES (NULL, 'buy', 1, 1)");
    FAIL() << "NOT NULL was not enforced";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPermanent);
    EXPECT_EQ(e.sqlstate(), "23502");
  }
  EXPECT_TRUE(conn.ok());
}

TEST_F(PostgresTest, ShouldThrowAConnectionErrorWhenTheSessionWasTerminated) {
  Connection victim = Connection::open(dsn());
  Connection admin = Connection::open(admin_dsn());
  admin.exec("SELECT pg_terminate_backend(" + std::to_string(victim.backend_pid()) + ", 5000)");
  try {
    victim.exec("SELECT 1");
    FAIL() << "a terminated session answered";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnection) << e.what();
  }
  EXPECT_FALSE(victim.ok());
}

}  // namespace
}  // namespace faultline::pq
