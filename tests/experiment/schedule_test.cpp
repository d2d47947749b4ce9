#include "faultline/experiment/schedule.h"

#include <gtest/gtest.h>

#include "faultline/experiment/load_error.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

constexpr const char* kQuickExperiment = R"(title: quick
steady-state-hypothesis:
  title: the true program succeeds
  probes:
    - type: probe
      name: true-succeeds
      tolerance: 0
      provider: {type: process, path: /bin/true}
method:
  - type: action
    name: noop
    provider: {type: process, path: /bin/true}
x-faultline:
  sample-interval: 10ms
)";

class Scheduler : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "quick.yaml", kQuickExperiment);
    test::write_file(dir_ / "schedule.json", R"({"experiments": [
      {"name": "network-latency", "schedule": "0 2 * * 1", "enabled": true, "path": "quick.yaml"},
      {"name": "pod-chaos", "schedule": "* * * * *", "enabled": false, "path": "not-written-yet.yaml"}
    ]})");
  }
  std::vector<Json> journals() const {
    std::vector<Json> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "history"))
      if (e.path().extension() == ".json" && e.path().filename().string()[0] != '.')
        out.push_back(Json::parse(test::read_file(e.path())));
    std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
      return a["faultline"]["schedule"]["occurrence"] < b["faultline"]["schedule"]["occurrence"];
    });
    return out;
  }
  int tick(const std::string& now) {
    ScheduleOptions o;
    o.once = true;
    o.now = parse_civil_minute(now);
    o.quiet = true;
    o.history = dir_ / "history";
    o.lock_dir = (dir_ / "locks").string();
    return run_schedule(load_schedule(dir_ / "schedule.json"), o);
  }
  test::TempDir dir_;
};

TEST_F(Scheduler, ShouldRunWhatIsDueAndAppendItsJournalToTheHistory) {
  EXPECT_EQ(tick("2026-12-07T02:00"), 0);
  const auto j = journals();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["status"], "completed");
  EXPECT_EQ(j[0]["faultline"]["schedule"]["name"], "network-latency");
  EXPECT_EQ(j[0]["faultline"]["schedule"]["occurrence"], "2026-12-07T02:00");
  EXPECT_EQ(j[0]["faultline"]["schedule"]["missed"], 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "history" / ".faultline-schedule-state.json"));
}

TEST_F(Scheduler, ShouldNotRunTheSameOccurrenceTwiceAfterARestart) {
  EXPECT_EQ(tick("2026-12-07T02:00"), 0);
  EXPECT_EQ(tick("2026-12-07T02:00"), 0);
  EXPECT_EQ(tick("2026-12-07T02:01"), 0);
  EXPECT_EQ(journals().size(), 1u);
}

TEST_F(Scheduler, ShouldRunOnlyOneOfSeveralMissedOccurrencesAndSaySo) {
  EXPECT_EQ(tick("2026-12-07T02:00"), 0);
  EXPECT_EQ(tick("2026-12-28T09:00"), 0);  // down for three weeks: 12-14, 12-21, 12-28 missed
  const auto j = journals();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["faultline"]["schedule"]["occurrence"], "2026-12-28T02:00");
  EXPECT_EQ(j[1]["faultline"]["schedule"]["missed"], 2);
}

TEST_F(Scheduler, ShouldNotRunPastOccurrencesOnFirstStart) {
  EXPECT_EQ(tick("2026-12-07T02:30"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "history") && !journals().empty());
  EXPECT_EQ(tick("2026-12-14T02:00"), 0);
  EXPECT_EQ(journals().size(), 1u);
}

TEST_F(Scheduler, ShouldNeverRepeatAnOccurrenceWhenTheClockGoesBack) {
  EXPECT_EQ(tick("2026-12-14T02:00"), 0);
  EXPECT_EQ(tick("2026-12-07T02:00"), 0);
  EXPECT_EQ(tick("2026-12-14T02:00"), 0);
  EXPECT_EQ(journals().size(), 1u);
}

TEST_F(Scheduler, ShouldReportTheWorstExitOfTheRunsItMade) {
  test::write_file(dir_ / "quick.yaml",
                   std::string(kQuickExperiment)
                       .replace(std::string(kQuickExperiment).find("tolerance: 0"), 12, "tolerance: 1"));
  EXPECT_EQ(tick("2026-12-07T02:00"), 2);  // the steady state never held: could not run
}

TEST_F(Scheduler, ShouldCountDueOccurrencesBetweenTwoTimes) {
  std::string error;
  const auto cron = CronExpr::parse("*/10 * * * *", &error);
  const Due due =
      due_between(*cron, *parse_civil_minute("2026-12-07T02:00"), *parse_civil_minute("2026-12-07T03:00"));
  EXPECT_EQ(due.count, 6);
  EXPECT_EQ(to_string(*due.latest), "2026-12-07T03:00");
  const Due capped = due_between(*cron, *parse_civil_minute("2026-12-07T02:00"),
                                 *parse_civil_minute("2027-12-07T03:05"), 10);
  EXPECT_EQ(capped.count, 10);
  EXPECT_EQ(to_string(*capped.latest), "2027-12-07T03:00");
}

TEST_F(Scheduler, ShouldReportBadSchedulesWithTheLine) {
  test::write_file(
      dir_ / "bad.json",
      "{\"experiments\": [\n  {\"name\": \"x\", \"schedule\": \"0 25 * * *\", \"path\": \"quick.yaml\"}\n]}");
  try {
    load_schedule(dir_ / "bad.json");
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(e.message().find("hour field '25'"), std::string::npos) << e.what();
  }
  test::write_file(
      dir_ / "bad2.json",
      "{\"experiments\": [{\"name\": \"x\", \"schedule\": \"@daily\", \"path\": \"nope.yaml\"}]}");
  EXPECT_THROW(load_schedule(dir_ / "bad2.json"), LoadError);
}

}  // namespace
}  // namespace faultline::experiment
