// The pq decision (decide_pq) against plans built by a real PlanManager:
// which calls each pq kind acts on, --sql and --db selection, hit limits,
// --pct with a fixed seed, and arming/clearing of --sql patterns.
#include "faultline/shim/pq_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/plan_manager.h"

namespace faultline::shim {
namespace {

constexpr std::int64_t kSec = 1'000'000'000;

abi::FaultSpec pq_fault(const char* id, abi::FaultKind kind) {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(kind);
  f.pct_ppm = 1'000'000;
  f.for_ns = 60 * kSec;
  f.seed = 42;
  if (kind == abi::FaultKind::kPqSlow) f.delay_ns = 1'000'000;
  if (kind == abi::FaultKind::kPqError) std::strcpy(f.sqlstate, "40001");
  return f;
}

abi::FaultSpec with_sql(abi::FaultSpec f, const char* pattern) {
  std::strncpy(f.match.sql_regex, pattern, sizeof f.match.sql_regex - 1);
  return f;
}

abi::FaultSpec with_db(abi::FaultSpec f, const char* db) {
  std::strncpy(f.match.db, db, sizeof f.match.db - 1);
  return f;
}

abi::Command command(abi::CommandOp op) {
  abi::Command c{};
  c.seq = 1;
  c.op = static_cast<std::uint16_t>(op);
  return c;
}

PqCall statement(const char* sql, const char* db = "trading") {
  PqCall c;
  c.op = PqOp::kStatement;
  c.sql = sql;
  c.sql_known = true;
  c.db = db;
  return c;
}

PqCall connect_to(const char* db) {
  PqCall c;
  c.op = PqOp::kConnect;
  c.db = db;
  return c;
}

class PqEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { manager.emplace(); }
  void TearDown() override { manager.reset(); }

  cp::ApplyResult arm(const abi::FaultSpec& f) {
    abi::Command c = command(abi::CommandOp::kInject);
    c.fault = f;
    return manager->apply(c, now_ns());
  }
  void expect_armed(const abi::FaultSpec& f) {
    const cp::ApplyResult r = arm(f);
    ASSERT_TRUE(r.applied) << r.reason;
  }
  void clear(const char* id) {
    abi::Command c = command(abi::CommandOp::kClear);
    std::strncpy(c.target_id, id, sizeof c.target_id - 1);
    ASSERT_TRUE(manager->apply(c, now_ns()).applied);
  }
  const abi::FaultSlot& slot_of(const cp::ApplyResult& r) { return fault_slots()[r.fault_slot]; }

  std::optional<PlanManager> manager;
};

TEST_F(PqEngineTest, ShouldApplyPqErrorToStatementsWhoseTextMatchesTheSqlPattern) {
  expect_armed(with_sql(pq_fault("e", abi::FaultKind::kPqError), "^INSERT\\b"));
  const PqVerdict hit = decide_pq(statement("INSERT INTO trades VALUES (1)"));
  EXPECT_TRUE(hit.error);
  EXPECT_STREQ(hit.sqlstate, "40001");
  EXPECT_EQ(hit.fired, 1u);
  EXPECT_TRUE(decide_pq(statement("SELECT 1")).pass());
  EXPECT_TRUE(decide_pq(statement("  INSERT INTO trades VALUES (1)")).pass());
}

TEST_F(PqEngineTest, ShouldSelectOnlyTheNamedDatabase) {
  expect_armed(with_db(pq_fault("s", abi::FaultKind::kPqSever), "orders"));
  EXPECT_TRUE(decide_pq(statement("SELECT 1", "orders")).sever);
  EXPECT_TRUE(decide_pq(statement("SELECT 1", "trading")).pass());
  EXPECT_TRUE(decide_pq(statement("SELECT 1", nullptr)).pass());
}

TEST_F(PqEngineTest, ShouldLeaveStatementsOfUnknownTextToFaultsWithoutPattern) {
  expect_armed(with_sql(pq_fault("patterned", abi::FaultKind::kPqSever), "."));
  PqCall unknown = statement("");
  unknown.sql_known = false;
  EXPECT_TRUE(decide_pq(unknown).pass());
  expect_armed(pq_fault("any", abi::FaultKind::kPqSever));
  EXPECT_TRUE(decide_pq(unknown).sever);
}

TEST_F(PqEngineTest, ShouldRefuseConnectsOnlyAndFaultStatementsOnly) {
  expect_armed(pq_fault("refuse", abi::FaultKind::kPqRefuse));
  EXPECT_TRUE(decide_pq(connect_to("trading")).refuse);
  EXPECT_TRUE(decide_pq(statement("SELECT 1")).pass());
  clear("refuse");
  expect_armed(pq_fault("slow", abi::FaultKind::kPqSlow));
  EXPECT_TRUE(decide_pq(connect_to("trading")).pass());
  EXPECT_EQ(decide_pq(statement("SELECT 1")).delay_ns, 1'000'000);
}

TEST_F(PqEngineTest, ShouldAddDelaysAndLetASeverWinOverAnError) {
  expect_armed(pq_fault("slow-1", abi::FaultKind::kPqSlow));
  expect_armed(pq_fault("slow-2", abi::FaultKind::kPqSlow));
  expect_armed(pq_fault("error", abi::FaultKind::kPqError));
  PqVerdict v = decide_pq(statement("SELECT 1"));
  EXPECT_EQ(v.delay_ns, 2'000'000);
  EXPECT_TRUE(v.error);
  expect_armed(pq_fault("sever", abi::FaultKind::kPqSever));
  v = decide_pq(statement("SELECT 1"));
  EXPECT_TRUE(v.sever);
  EXPECT_FALSE(v.error);
  EXPECT_EQ(v.fired, 4u);
}

TEST_F(PqEngineTest, ShouldStopChangingCallsAtTheHitLimit) {
  abi::FaultSpec f = pq_fault("limited", abi::FaultKind::kPqError);
  f.max_hits = 3;
  const cp::ApplyResult r = arm(f);
  ASSERT_TRUE(r.applied) << r.reason;
  int errors = 0;
  for (int i = 0; i < 10; ++i) errors += decide_pq(statement("SELECT 1")).error ? 1 : 0;
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(slot_of(r).hits.load(), 3u);
  EXPECT_EQ(slot_of(r).matched.load(), 10u);
}

TEST_F(PqEngineTest, ShouldFireAtTheRequestedRateWithAFixedSeed) {
  abi::FaultSpec f = pq_fault("third", abi::FaultKind::kPqError);
  f.pct_ppm = 300'000;
  ASSERT_TRUE(arm(f).applied);
  constexpr int kCalls = 10'000;
  int errors = 0;
  for (int i = 0; i < kCalls; ++i) errors += decide_pq(statement("SELECT 1")).error ? 1 : 0;
  const double sd = std::sqrt(kCalls * 0.3 * 0.7);  // binomial
  EXPECT_NEAR(errors, kCalls * 0.3, 4 * sd);
}

TEST_F(PqEngineTest, ShouldRejectAPatternTheTargetCannotMatchWithTheReason) {
  const cp::ApplyResult r = arm(with_sql(pq_fault("backref", abi::FaultKind::kPqError), "(a)\\1"));
  EXPECT_FALSE(r.applied);
  EXPECT_NE(std::string(r.reason).find("back-references"), std::string::npos) << r.reason;
  EXPECT_EQ(manager->armed_count(), 0);
}

TEST_F(PqEngineTest, ShouldRejectSqlOnPqRefuse) {
  const cp::ApplyResult r = arm(with_sql(pq_fault("refuse", abi::FaultKind::kPqRefuse), "^SELECT"));
  EXPECT_FALSE(r.applied);
  EXPECT_NE(std::string(r.reason).find("--sql"), std::string::npos) << r.reason;
}

TEST_F(PqEngineTest, ShouldReusePatternStorageAcrossManyArmings) {
  for (int i = 0; i < 150; ++i) {
    const std::string pattern = "^SELECT " + std::to_string(i) + "$";
    ASSERT_TRUE(arm(with_sql(pq_fault("cycle", abi::FaultKind::kPqError), pattern.c_str())).applied) << i;
    const std::string sql = "SELECT " + std::to_string(i);
    ASSERT_TRUE(decide_pq(statement(sql.c_str())).error) << i;
    ASSERT_TRUE(decide_pq(statement("SELECT x")).pass()) << i;
    clear("cycle");
  }
  EXPECT_TRUE(decide_pq(statement("SELECT 1")).pass());
}

TEST_F(PqEngineTest, ShouldNeverMatchWithAnotherFaultsPatternWhileFaultsChange) {
  // Readers decide on "SELECT 7" while the apply side keeps arming and
  // clearing two faults whose patterns share the holders: the one for
  // "SELECT 8" (40P01) must never fire on it.
  std::atomic<bool> stop{false};
  std::atomic<long> wrong{0}, fired{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        const PqVerdict v = decide_pq(statement("SELECT 7"));
        if (v.error && std::strcmp(v.sqlstate, "40001") != 0) wrong.fetch_add(1);
        if (v.error) fired.fetch_add(1);
      }
    });
  }
  abi::FaultSpec seven = with_sql(pq_fault("seven", abi::FaultKind::kPqError), "^SELECT 7$");
  abi::FaultSpec eight = with_sql(pq_fault("eight", abi::FaultKind::kPqError), "^SELECT 8$");
  std::strcpy(eight.sqlstate, "40P01");
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(arm(i % 2 == 0 ? seven : eight).applied) << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    clear(i % 2 == 0 ? "seven" : "eight");
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(fired.load(), 0);
}

TEST_F(PqEngineTest, ShouldNotActOnSocketCalls) {
  expect_armed(pq_fault("sever", abi::FaultKind::kPqSever));
  SocketInfo tcp;
  tcp.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  EXPECT_TRUE(decide(Op::kSend, abi::Direction::kEgress, tcp, 64).pass());
  EXPECT_TRUE(decide(Op::kRecv, abi::Direction::kIngress, tcp, 64).pass());
}

}  // namespace
}  // namespace faultline::shim
