// The sql provider and a database steady state against a real PostgreSQL
// (scripts/pg-temp.sh: a throwaway cluster on loopback).
#include <gtest/gtest.h>

#include <cstdio>

#include "faultline/experiment/runner.h"
#include "provider.h"
#include "run_context.h"
#include "subprocess.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

const std::string kScript = std::string(FAULTLINE_SOURCE_DIR) + "/scripts/pg-temp.sh";

class Sql : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    // Under root the cluster belongs to an unprivileged user, who must reach the folder.
    std::filesystem::permissions(dir_->path(), std::filesystem::perms::owner_all |
                                                   std::filesystem::perms::group_exec |
                                                   std::filesystem::perms::others_exec);
    const SubprocessResult r = run_subprocess({kScript, "start", (dir_->path() / "pg").string()},
                                              std::chrono::seconds(120), nullptr);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto at = r.out.find("DSN=");
    ASSERT_NE(at, std::string::npos) << r.out;
    dsn_ = r.out.substr(at + 4);
    while (!dsn_.empty() && (dsn_.back() == '\n' || dsn_.back() == '\r')) dsn_.pop_back();
  }
  static void TearDownTestSuite() {
    run_subprocess({kScript, "stop", (dir_->path() / "pg").string()}, std::chrono::seconds(60), nullptr);
    delete dir_;
  }
  ProviderOutput run(const std::string& query, const std::string& dsn = dsn_) {
    Activity a;
    a.type = "probe";
    a.name = "sql";
    a.provider = {{"type", "sql"}, {"dsn", dsn}, {"query", query}, {"timeout", 5}};
    EXPECT_FALSE(validate_provider(a.provider).has_value());
    return run_provider(a, context_, nullptr);
  }
  static inline test::TempDir* dir_ = nullptr;
  static inline std::string dsn_;
  Experiment experiment_;
  RunContext context_{experiment_, true};
};

TEST_F(Sql, ShouldReturnTypedRowsAndTheFirstValue) {
  const auto out =
      run("SELECT 1 AS one, 2.5::float8 AS f, true AS b, 'x' AS s, NULL::int AS n, 10::numeric AS d");
  EXPECT_EQ(out.output["columns"], Json({"one", "f", "b", "s", "n", "d"}));
  EXPECT_EQ(out.output["rows"], Json::parse("[[1, 2.5, true, \"x\", null, 10.0]]"));
  EXPECT_EQ(out.output["value"], 1);
  EXPECT_EQ(out.output["count"], 1);
  EXPECT_TRUE(out.latency_ms.has_value());
}

TEST_F(Sql, ShouldCountRowsAStatementChanged) {
  const auto out =
      run("INSERT INTO trades (symbol, side, qty, price) VALUES ('EURUSD', 'buy', 1, 1.08), ('EURUSD', "
          "'sell', 2, 1.09)");
  EXPECT_EQ(out.output["count"], 2);
  EXPECT_EQ(out.output["rows"], Json::array());
}

TEST_F(Sql, ShouldFailWithTheSqlstateOfAnError) {
  try {
    run("SELECT * FROM no_such_table");
    FAIL();
  } catch (const ActivityFailed& e) {
    EXPECT_NE(std::string(e.what()).find("SQLSTATE 42P01"), std::string::npos) << e.what();
  }
}

TEST_F(Sql, ShouldFailWhenNoServerListens) {
  try {
    run("SELECT 1",
        "host=127.0.0.1 port=" + std::to_string(test::closed_port()) + " user=postgres dbname=trading");
    FAIL();
  } catch (const ActivityFailed& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
}

TEST_F(Sql, ShouldHoldADatabaseSteadyStateWithAJsonPathTolerance) {
  RunOptions o;
  o.quiet = true;
  const RunResult r = run_experiment(parse_experiment(R"(title: queries succeed
steady-state-hypothesis:
  title: SELECT 1 answers 1
  probes:
    - type: probe
      name: select-one
      tolerance: {type: jsonpath, path: "$.rows[0][0]", expect: 1}
      provider: {type: sql, dsn: "${dsn}", query: SELECT 1}
method:
  - type: probe
    name: trades-table-exists
    provider: {type: sql, dsn: "${dsn}", query: "SELECT count(*) FROM trades"}
x-faultline: {sample-interval: 20ms, duration: 100ms}
)",
                                                      "sql.yaml", {{"dsn", dsn_}}),
                                     o);
  EXPECT_EQ(r.exit_code, kExitHeld) << r.journal["faultline"].dump(2);
  EXPECT_EQ(r.journal["run"][0]["status"], "succeeded");
  EXPECT_EQ(r.journal["faultline"]["latency"][0]["probe"], "select-one");
}

}  // namespace
}  // namespace faultline::experiment
