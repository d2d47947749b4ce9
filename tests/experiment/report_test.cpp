#include "faultline/experiment/report.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

Json journal(const std::string& title, const std::string& start, bool deviated, Json ttr, Json before,
             Json during, int violations) {
  Json v = Json::array();
  for (int i = 0; i < violations; ++i) v.push_back({{"t_s", i}});
  return {{"experiment", {{"title", title}}},
          {"start", start},
          {"status", deviated ? "failed" : "completed"},
          {"deviated", deviated},
          {"faultline",
           {{"exit_code", deviated ? 1 : 0},
            {"time_to_recover_s", ttr},
            {"recovered", !ttr.is_null()},
            {"violations", v},
            {"p99_ms", {{"before", before}, {"during", during}}}}}};
}

TEST(Report, ShouldNumberIsoWeeksAcrossYearBoundaries) {
  EXPECT_EQ(iso_week("2026-12-07T02:00:00.000000"), "2026-W50");
  EXPECT_EQ(iso_week("2027-01-01T00:00:00"), "2026-W53");
  EXPECT_EQ(iso_week("2026-01-01T12:00:00Z"), "2026-W01");
  EXPECT_EQ(iso_week("2027-01-04T00:00:00"), "2027-W01");
  EXPECT_EQ(iso_week("garbage"), "unknown");
}

TEST(Report, ShouldComputeMttrFromRunsWhoseSteadyStateBroke) {
  const std::vector<Json> runs = {journal("latency", "2026-12-07T02:00:00", true, 2.0, 10.0, 200.0, 3),
                                  journal("latency", "2026-12-14T02:00:00", true, 4.0, 12.0, 240.0, 1),
                                  journal("latency", "2026-12-15T02:00:00", false, 0.1, 11.0, 20.0, 0),
                                  journal("db", "2026-12-16T02:00:00", true, nullptr, nullptr, nullptr, 5)};
  const Json a = aggregate_journals(runs);
  EXPECT_DOUBLE_EQ(a["mttr_s"].get<double>(), 3.0);  // (2 + 4) / 2: the run without violations does not count
  EXPECT_EQ(a["mttr_runs"], 2);
  EXPECT_EQ(a["not_recovered"], 1);
  ASSERT_EQ(a["weeks"].size(), 2u);
  EXPECT_EQ(a["weeks"][0], Json({{"week", "2026-W50"}, {"runs", 1}, {"deviated", 1}}));
  EXPECT_EQ(a["weeks"][1], Json({{"week", "2026-W51"}, {"runs", 3}, {"deviated", 2}}));
  ASSERT_EQ(a["experiments"].size(), 2u);
  const Json& latency = a["experiments"][0];
  EXPECT_EQ(latency["title"], "latency");
  EXPECT_DOUBLE_EQ(latency["p99_before_ms"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(latency["p99_during_ms"].get<double>(), 460.0 / 3);
  EXPECT_NEAR(latency["ratio"].get<double>(), 460.0 / 33, 1e-9);
  EXPECT_TRUE(a["experiments"][1]["ratio"].is_null());
  const std::string table = report_table(a);
  EXPECT_NE(
      table.find("MTTR (mean time to recover): 3.000s over 2 runs with violations; 1 run(s) did not recover"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("2026-W51"), std::string::npos);
  EXPECT_EQ(test::xml_problem(report_svg(a)), "");
}

TEST(Report, ShouldReadJournalsFromAHistoryFolderAndSkipOtherFiles) {
  test::TempDir dir;
  test::write_file(dir / "a-2026.json", journal("x", "2026-12-07T02:00:00", false, 0.5, 1.0, 2.0, 0).dump());
  test::write_file(dir / "b-2026.json", journal("x", "2026-12-08T02:00:00", true, 1.5, 1.0, 9.0, 2).dump());
  test::write_file(dir / ".faultline-schedule-state.json", "{}");
  test::write_file(dir / "broken.json", "{not json");
  test::write_file(dir / "other.json", "{\"hello\": 1}");
  std::vector<std::string> warnings;
  const auto journals = load_journals({dir.path()}, &warnings);
  ASSERT_EQ(journals.size(), 2u);
  EXPECT_EQ(journals[0]["start"], "2026-12-07T02:00:00");
  EXPECT_EQ(warnings.size(), 2u);
}

}  // namespace
}  // namespace faultline::experiment
