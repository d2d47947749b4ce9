// ResilientPool against a real server: bounded size, retry only where a
// retry can help, recovery from terminated sessions without losing a write.
#include "faultline/pq/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "faultline/pq/admin.h"
#include "postgres_server.h"

namespace faultline::pq {
namespace {

using std::chrono::milliseconds;
using testing::PostgresTest;

constexpr const char* kInsert = "INSERT INTO trades (symbol, side, qty, price) VALUES ($1, $2, $3, $4)";
// A real server error with a chosen SQLSTATE.
constexpr const char* kRaiseSerializationFailure =
    "DO $$ BEGIN RAISE EXCEPTION 'simulated race' USING ERRCODE = '40001'; END $$";

class PoolTest : public PostgresTest {
 protected:
  PoolOptions options(std::size_t min, std::size_t max) const {
    PoolOptions o;
    o.dsn = dsn();
    o.min_connections = min;
    o.max_connections = max;
    o.jitter_seed = 20240601;
    o.backoff.base = milliseconds(20);
    o.backoff.cap = milliseconds(500);
    o.backoff.max_attempts = 6;
    o.backoff.max_elapsed = milliseconds(5000);
    return o;
  }

  static void insert_trades(ResilientPool& pool, int count) {
    for (int i = 0; i < count; ++i)
      pool.execute_with_retry(kInsert, {"AAPL", "buy", std::to_string(i + 1), "189.5"});
  }
};

TEST_F(PoolTest, ShouldExecuteQueriesThroughThePool) {
  ResilientPool pool(options(2, 4));
  EXPECT_EQ(pool.size(), 2u);
  insert_trades(pool, 3);
  Result r = pool.execute_with_retry("SELECT sum(qty) FROM trades WHERE symbol = $1", {"AAPL"});
  EXPECT_EQ(r.value(0, 0), "6");
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.attempts, 4u);
  EXPECT_EQ(c.retries, 0u);
  EXPECT_EQ(c.failures, 0u);
}

TEST_F(PoolTest, ShouldRetryAndReconnectWithoutLosingCommittedWritesAfterSessionsAreTerminated) {
  PoolOptions o = options(2, 4);
  o.health_check_after = kNever;  // the dead session is found by the statement itself
  ResilientPool pool(o);
  insert_trades(pool, 5);

  const int terminated = terminate_backends(admin_dsn(), "trading");
  ASSERT_GE(terminated, 1);

  insert_trades(pool, 5);
  EXPECT_EQ(count_trades(), 10);
  const PoolCounters c = pool.counters();
  EXPECT_GE(c.retries, 1u);
  EXPECT_GE(c.reconnects, 1u);
  EXPECT_GE(c.discarded, 1u);
  EXPECT_EQ(c.failures, 0u);
}

TEST_F(PoolTest, ShouldReplaceTerminatedIdleConnectionsByHealthCheckWithoutRetrying) {
  PoolOptions o = options(2, 4);
  o.health_check_after = milliseconds(0);  // every idle connection is probed before use
  ResilientPool pool(o);
  insert_trades(pool, 2);

  ASSERT_GE(terminate_backends(admin_dsn(), "trading"), 1);

  insert_trades(pool, 2);
  EXPECT_EQ(count_trades(), 4);
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.retries, 0u);
  EXPECT_GE(c.discarded, 1u);
  EXPECT_GE(c.reconnects, 1u);
}

// Terminating the sessions kills every idle connection at once: after the
// first one fails, the others are probed before use instead of each costing
// a retry.
TEST_F(PoolTest, ShouldProbeTheOtherIdleConnectionsAfterOneFailsSoOneRetrySuffices) {
  PoolOptions o = options(4, 4);
  o.health_check_after = kNever;
  ResilientPool pool(o);
  ASSERT_EQ(pool.idle(), 4u);

  ASSERT_GE(terminate_backends(admin_dsn(), "trading"), 4);

  insert_trades(pool, 1);
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.retries, 1u);
  EXPECT_EQ(c.discarded, 4u);
  EXPECT_EQ(c.reconnects, 1u);
  EXPECT_EQ(count_trades(), 1);
}

TEST_F(PoolTest, ShouldNotRetryAConstraintViolation) {
  ResilientPool pool(options(1, 2));
  try {
    pool.execute_with_retry(kInsert, {std::nullopt, "buy", "1", "1"});
    FAIL() << "NOT NULL was not enforced";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPermanent);
    EXPECT_EQ(e.sqlstate(), "23502");
  }
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.attempts, 1u);
  EXPECT_EQ(c.retries, 0u);
  EXPECT_EQ(c.failures, 1u);
  EXPECT_EQ(c.discarded, 0u);
}

TEST_F(PoolTest, ShouldRetryATransactionThatLostASerializationRaceOnTheSameConnection) {
  ResilientPool pool(options(1, 1));
  int calls = 0;
  const long long id = pool.run_with_retry([&](Connection& conn) {
    ++calls;
    conn.exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
    Result r =
        conn.exec("INSERT INTO trades (symbol, side, qty, price) VALUES ('MSFT','sell',3,410) RETURNING id");
    if (calls == 1) conn.exec(kRaiseSerializationFailure);
    conn.exec("COMMIT");
    return std::stoll(std::string(r.value(0, 0)));
  });
  EXPECT_EQ(calls, 2);
  EXPECT_GT(id, 0);
  EXPECT_EQ(count_trades(), 1);  // the first try was rolled back
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.retries, 1u);
  EXPECT_EQ(c.discarded, 0u);
}

TEST_F(PoolTest, ShouldGiveUpAfterMaxAttempts) {
  PoolOptions o = options(1, 1);
  o.backoff.base = milliseconds(1);
  o.backoff.max_attempts = 3;
  ResilientPool pool(o);
  try {
    pool.execute_with_retry(kRaiseSerializationFailure);
    FAIL() << "an always-failing statement succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRetryableTransaction);
    EXPECT_EQ(e.sqlstate(), "40001");
    EXPECT_NE(std::string(e.what()).find("gave up after 3 attempt(s)"), std::string::npos) << e.what();
  }
  const PoolCounters c = pool.counters();
  EXPECT_EQ(c.attempts, 3u);
  EXPECT_EQ(c.retries, 2u);
  EXPECT_EQ(c.failures, 1u);
}

TEST_F(PoolTest, ShouldGiveUpWhenTheNextDelayWouldExceedTheElapsedBudget) {
  PoolOptions o = options(1, 1);
  o.backoff.max_attempts = 100;
  o.backoff.max_elapsed = milliseconds(0);
  ResilientPool pool(o);
  EXPECT_THROW(pool.execute_with_retry(kRaiseSerializationFailure), Error);
  EXPECT_EQ(pool.counters().attempts, 1u);
}

TEST_F(PoolTest, ShouldNeverOpenMoreThanMaxConnections) {
  PoolOptions o = options(0, 2);
  o.acquire_timeout = milliseconds(50);
  ResilientPool pool(o);
  EXPECT_EQ(pool.size(), 0u);
  std::optional<ResilientPool::Lease> a(pool.acquire());
  ResilientPool::Lease b = pool.acquire();
  EXPECT_EQ(pool.size(), 2u);
  try {
    pool.acquire();
    FAIL() << "a third connection was handed out";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPoolExhausted);
  }
  a.reset();
  ResilientPool::Lease c = pool.acquire();
  EXPECT_EQ(pool.size(), 2u);
}

TEST_F(PoolTest, ShouldRollBackAnOpenTransactionWhenALeaseIsReturned) {
  ResilientPool pool(options(1, 1));
  {
    ResilientPool::Lease lease = pool.acquire();
    lease->exec("BEGIN");
    lease->exec(kInsert, {"IBM", "buy", "1", "1"});
  }
  EXPECT_EQ(count_trades(), 0);
  ResilientPool::Lease again = pool.acquire();
  EXPECT_EQ(again->transaction_status(), PQTRANS_IDLE);
  EXPECT_EQ(pool.counters().discarded, 0u);
}

TEST_F(PoolTest, ShouldServeConcurrentCallersWithinItsBound) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  ResilientPool pool(options(1, 3));
  std::atomic<std::size_t> most_open{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        pool.execute_with_retry(kInsert, {"NVDA", "buy", "1", "1"});
        std::size_t open = pool.size();
        std::size_t seen = most_open.load();
        while (open > seen && !most_open.compare_exchange_weak(seen, open)) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count_trades(), kThreads * kPerThread);
  EXPECT_LE(most_open.load(), 3u);
  EXPECT_EQ(pool.counters().failures, 0u);
}

}  // namespace
}  // namespace faultline::pq
