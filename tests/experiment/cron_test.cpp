#include "faultline/experiment/cron.h"

#include <gtest/gtest.h>

namespace faultline::experiment {
namespace {

std::string next(const std::string& expr, const std::string& after) {
  std::string error;
  const auto cron = CronExpr::parse(expr, &error);
  EXPECT_TRUE(cron.has_value()) << expr << ": " << error;
  if (!cron) return "invalid";
  const auto from = parse_civil_minute(after);
  EXPECT_TRUE(from.has_value()) << after;
  const auto n = cron->next_after(*from);
  return n ? to_string(*n) : "never";
}

std::string error_of(const std::string& expr) {
  std::string error;
  EXPECT_FALSE(CronExpr::parse(expr, &error).has_value()) << expr;
  return error;
}

// Known answers (checked against an independent brute-force reference).
TEST(Cron, ShouldComputeTheSeedsWeeklySchedules) {
  EXPECT_EQ(next("0 2 * * 1", "2026-12-03T10:00"), "2026-12-07T02:00");
  EXPECT_EQ(next("0 2 * * 1", "2026-12-07T02:00"), "2026-12-14T02:00");  // strictly after
  EXPECT_EQ(next("0 2 * * 3", "2026-12-07T02:00"), "2026-12-09T02:00");
  EXPECT_EQ(next("0 2 * * 5", "2026-12-07T02:00"), "2026-12-11T02:00");
}

TEST(Cron, ShouldHonourStepsRangesAndLists) {
  EXPECT_EQ(next("*/15 * * * *", "2026-12-07T10:07"), "2026-12-07T10:15");
  EXPECT_EQ(next("10-50/20 * * * *", "2026-12-07T10:10"), "2026-12-07T10:30");
  EXPECT_EQ(next("0 9-17/4 * * MON-FRI", "2026-12-04T17:00"), "2026-12-07T09:00");
  EXPECT_EQ(next("0 22 * * 1-5", "2026-12-05T12:00"), "2026-12-07T22:00");
  EXPECT_EQ(next("5/20 * * * *", "2026-12-07T10:46"), "2026-12-07T11:05");  // a/n: from a to the end
}

TEST(Cron, ShouldMatchEitherDayFieldWhenBothAreRestricted) {
  EXPECT_EQ(next("30 4 1,15 * 5", "2026-12-01T05:00"), "2026-12-04T04:30");  // a Friday before the 15th
  EXPECT_EQ(next("0 0 1 * MON", "2026-12-01T00:00"), "2026-12-07T00:00");
}

TEST(Cron, ShouldRequireBothDayFieldsWhenOneStartsWithAStar) {
  EXPECT_EQ(next("0 0 */2 * 5", "2026-12-01T00:00"), "2026-12-11T00:00");  // odd day AND Friday
}

TEST(Cron, ShouldReadNamesAndSundayAsSeven) {
  EXPECT_EQ(next("0 12 * JAN,jul SUN", "2026-12-07T00:00"), "2027-01-03T12:00");
  EXPECT_EQ(next("5 4 * * 7", "2026-12-07T00:00"), "2026-12-13T04:05");
  EXPECT_EQ(next("5 4 * * 0", "2026-12-07T00:00"), "2026-12-13T04:05");
}

TEST(Cron, ShouldCrossMonthYearAndLeapDayBoundaries) {
  EXPECT_EQ(next("59 23 31 12 *", "2026-12-31T23:59"), "2027-12-31T23:59");
  EXPECT_EQ(next("15 14 1 * *", "2026-12-31T23:00"), "2027-01-01T14:15");
  EXPECT_EQ(next("0 0 29 2 *", "2026-03-01T00:00"), "2028-02-29T00:00");
  EXPECT_EQ(next("0 0 30 2 *", "2026-03-01T00:00"), "never");
}

TEST(Cron, ShouldExpandMacros) {
  EXPECT_EQ(next("@daily", "2026-12-07T02:00"), "2026-12-08T00:00");
  EXPECT_EQ(next("@hourly", "2026-12-07T02:00"), "2026-12-07T03:00");
  EXPECT_EQ(next("@weekly", "2026-12-07T02:00"), "2026-12-13T00:00");
  EXPECT_EQ(next("@monthly", "2026-12-07T02:00"), "2027-01-01T00:00");
}

TEST(Cron, ShouldExplainInvalidExpressions) {
  EXPECT_NE(error_of("60 * * * *").find("minute field '60'"), std::string::npos);
  EXPECT_NE(error_of("* * * *").find("has 4 field(s)"), std::string::npos);
  EXPECT_NE(error_of("*/0 * * * *").find("step must be at least 1"), std::string::npos);
  EXPECT_NE(error_of("5-1 * * * *").find("runs backwards"), std::string::npos);
  EXPECT_NE(error_of("* * * FOO *").find("month field 'FOO'"), std::string::npos);
  EXPECT_NE(error_of("* * 0 * *").find("day-of-month"), std::string::npos);
  EXPECT_NE(error_of("@reboot").find("not a cron macro"), std::string::npos);
  EXPECT_NE(error_of("1,,2 * * * *").find("empty list item"), std::string::npos);
}

TEST(Cron, ShouldMatchExactlyTheMinutesItNames) {
  std::string error;
  const auto cron = CronExpr::parse("0 2 * * 1", &error);
  ASSERT_TRUE(cron);
  EXPECT_TRUE(cron->matches(*parse_civil_minute("2026-12-07T02:00")));
  EXPECT_FALSE(cron->matches(*parse_civil_minute("2026-12-07T02:01")));
  EXPECT_FALSE(cron->matches(*parse_civil_minute("2026-12-08T02:00")));
}

TEST(CivilTime, ShouldParseAndStepMinutes) {
  const auto m = parse_civil_minute("2026-12-31T23:59");
  ASSERT_TRUE(m);
  EXPECT_EQ(to_string(add_minutes(*m, 1)), "2027-01-01T00:00");
  EXPECT_EQ(to_string(add_minutes(*m, -60 * 24 * 365)), "2025-12-31T23:59");
  EXPECT_EQ(minutes_between(*parse_civil_minute("2026-12-07T02:00"), *parse_civil_minute("2026-12-14T02:00")),
            7 * 24 * 60);
  EXPECT_EQ(day_of_week(*parse_civil_minute("2026-12-07T02:00")), 1);
  EXPECT_FALSE(parse_civil_minute("2026-12-07T02:00Z"));  // local time has no offset
  EXPECT_FALSE(parse_civil_minute("next monday"));
}

}  // namespace
}  // namespace faultline::experiment
