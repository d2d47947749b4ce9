#include "faultline/experiment/tolerance.h"

#include <gtest/gtest.h>

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

bool met(const Json& tolerance, const Json& value) {
  return check_tolerance(tolerance, value).met;
}

TEST(Tolerance, ShouldMatchBoolOnlyWhenTheValueIsThatBool) {
  EXPECT_TRUE(met(true, true));
  EXPECT_FALSE(met(true, false));
  EXPECT_FALSE(met(true, 1));
  EXPECT_FALSE(met(false, Json::object({{"status", 0}})));
}

TEST(Tolerance, ShouldCompareANumberWithTheStatusOfProcessAndHttpOutputs) {
  EXPECT_TRUE(met(0, Json{{"status", 0}, {"stdout", ""}, {"stderr", ""}}));
  EXPECT_FALSE(met(0, Json{{"status", 1}, {"stdout", ""}, {"stderr", ""}}));
  EXPECT_TRUE(met(200, Json{{"status", 200}, {"body", "ok"}}));
  EXPECT_TRUE(met(42, 42));
  EXPECT_TRUE(met(2.5, 2.5));
  EXPECT_FALSE(met(42, "42"));
}

TEST(Tolerance, ShouldCompareStringsExactly) {
  EXPECT_TRUE(met("OK", "OK"));
  EXPECT_FALSE(met("OK", "ok"));
}

TEST(Tolerance, ShouldTreatTwoNumbersAsAnInclusiveRange) {
  EXPECT_TRUE(met(Json::array({4, 9}), 4));
  EXPECT_TRUE(met(Json::array({4, 9}), 9));
  EXPECT_TRUE(met(Json::array({4, 9}), 6.5));
  EXPECT_FALSE(met(Json::array({4, 9}), 9.01));
  EXPECT_FALSE(met(Json::array({4, 9}), "5"));
  const auto check = check_tolerance(Json::array({4, 9}), 12);
  EXPECT_NE(check.reason.find("outside [4, 9]"), std::string::npos) << check.reason;
}

TEST(Tolerance, ShouldAcceptAnyListedStatusOfAnHttpOutput) {
  EXPECT_TRUE(met(Json::array({200, 204}), Json{{"status", 204}}));
  EXPECT_FALSE(
      met(Json::array({200, 204}), Json{{"status", 202}}));  // membership, not a range, as Chaos Toolkit
  EXPECT_TRUE(met(Json::array({"a", "b", "c"}), "b"));
  EXPECT_FALSE(met(Json::array({"a", "b", "c"}), "d"));
}

TEST(Tolerance, ShouldCheckRangeOnTheTargetKey) {
  const Json tol{{"type", "range"}, {"range", {0, 5}}, {"target", "age_s"}};
  EXPECT_TRUE(met(tol, Json{{"status", 200}, {"age_s", 1.5}}));
  EXPECT_FALSE(met(tol, Json{{"status", 200}, {"age_s", 7.0}}));
  EXPECT_FALSE(met(tol, Json{{"status", 200}, {"age_s", nullptr}}));
  EXPECT_TRUE(
      met(Json{{"type", "range"}, {"range", {0, 5}}}, "3.5"));  // numeric text counts, as Decimal() does
  EXPECT_FALSE(met(Json{{"type", "range"}, {"range", {0, 5}}}, "fast"));
}

TEST(Tolerance, ShouldSearchRegexInTheTarget) {
  const Json tol{{"type", "regex"}, {"pattern", "^ready: [0-9]+$"}, {"target", "stdout"}};
  EXPECT_TRUE(met(tol, Json{{"status", 0}, {"stdout", "ready: 12"}}));
  EXPECT_FALSE(met(tol, Json{{"status", 0}, {"stdout", "starting"}}));
  EXPECT_TRUE(met(Json{{"type", "regex"}, {"pattern", "ok"}}, "all ok here"));
}

TEST(Tolerance, ShouldMatchJsonPathWithAndWithoutExpect) {
  const Json body{{"data", {{"status", "ok"}, {"items", {1, 2, 3}}}}};
  const Json output{{"status", 200}, {"body", body}};
  EXPECT_TRUE(met(Json{{"type", "jsonpath"}, {"path", "$.data.status"}, {"target", "body"}}, output));
  EXPECT_TRUE(met(Json{{"type", "jsonpath"}, {"path", "$.data.status"}, {"expect", "ok"}, {"target", "body"}},
                  output));
  EXPECT_FALSE(met(
      Json{{"type", "jsonpath"}, {"path", "$.data.status"}, {"expect", "down"}, {"target", "body"}}, output));
  EXPECT_FALSE(met(Json{{"type", "jsonpath"}, {"path", "$.data.missing"}, {"target", "body"}}, output));
  EXPECT_TRUE(
      met(Json{{"type", "jsonpath"}, {"path", "$.data.items[*]"}, {"count", 3}, {"target", "body"}}, output));
  EXPECT_TRUE(
      met(Json{{"type", "jsonpath"}, {"path", "$.data.items[*]"}, {"expect", {1, 2, 3}}, {"target", "body"}},
          output));
  // A body that arrived as text is parsed first.
  EXPECT_TRUE(met(Json{{"type", "jsonpath"}, {"path", "$..status"}, {"expect", "ok"}, {"target", "body"}},
                  Json{{"body", body.dump()}}));
}

TEST(Tolerance, ShouldAskATolerancePobeAndHonourItsAnswer) {
  const Json tol{
      {"type", "probe"}, {"name", "judge"}, {"provider", {{"type", "process"}, {"path", "/bin/true"}}}};
  Json seen;
  const auto yes = [&](const Json&, const Json& value) {
    seen = value;
    return true;
  };
  EXPECT_TRUE(check_tolerance(tol, 17, yes).met);
  EXPECT_EQ(seen, 17);
  EXPECT_FALSE(check_tolerance(tol, 17, [](const Json&, const Json&) { return false; }).met);
}

TEST(Tolerance, ShouldExplainWhatIsWrongWithAnInvalidTolerance) {
  EXPECT_FALSE(validate_tolerance(200).has_value());
  EXPECT_FALSE(validate_tolerance(Json{{"type", "range"}, {"range", {1, 2}}}).has_value());
  EXPECT_NE(validate_tolerance(Json{{"type", "range"}, {"range", {5, 1}}})->find("low > high"),
            std::string::npos);
  EXPECT_NE(validate_tolerance(Json{{"type", "range"}, {"range", {1}}})->find("two numbers"),
            std::string::npos);
  EXPECT_NE(validate_tolerance(Json{{"type", "regex"}, {"pattern", "(unclosed"}})->find("invalid"),
            std::string::npos);
  EXPECT_NE(validate_tolerance(Json{{"type", "jsonpath"}, {"path", "$.a[?(@.x)]"}})->find("not supported"),
            std::string::npos);
  EXPECT_NE(validate_tolerance(Json{{"type", "magic"}})->find("unknown tolerance type 'magic'"),
            std::string::npos);
  EXPECT_NE(validate_tolerance(Json::array())->find("empty"), std::string::npos);
}

TEST(Tolerance, ShouldPlotTheNumberTheToleranceLooksAt) {
  EXPECT_EQ(plot_value(Json{{"type", "range"}, {"range", {0, 5}}, {"target", "age_s"}},
                       Json{{"status", 200}, {"age_s", 1.5}}),
            1.5);
  EXPECT_EQ(plot_value(200, Json{{"status", 503}}), 503.0);
  EXPECT_EQ(plot_value(true, false), 0.0);
  EXPECT_EQ(plot_value(Json::array({0, 100}), 42.5), 42.5);
  EXPECT_EQ(
      plot_value(Json{{"type", "jsonpath"}, {"path", "$.n"}, {"target", "body"}}, Json{{"body", {{"n", 7}}}}),
      7.0);
  EXPECT_FALSE(plot_value("OK", "OK").has_value());
}

}  // namespace
}  // namespace faultline::experiment
