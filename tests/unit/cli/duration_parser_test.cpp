#include <gtest/gtest.h>

#include "error_of.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

using test::error_of;

TEST(DurationParser, ShouldReadEveryUnit) {
  EXPECT_EQ(parse_duration("10ns", "--delay"), 10);
  EXPECT_EQ(parse_duration("250us", "--delay"), 250'000);
  EXPECT_EQ(parse_duration("200ms", "--delay"), 200'000'000);
  EXPECT_EQ(parse_duration("3s", "--delay"), 3'000'000'000);
  EXPECT_EQ(parse_duration("2m", "--delay"), 120'000'000'000);
  EXPECT_EQ(parse_duration("1h", "--delay"), 3'600'000'000'000);
}

TEST(DurationParser, ShouldReadMicroSignAsMicroseconds) {
  EXPECT_EQ(parse_duration("20\xC2\xB5s", "--delay"), 20'000);
}

TEST(DurationParser, ShouldReadFractionsExactly) {
  EXPECT_EQ(parse_duration("1.5s", "--delay"), 1'500'000'000);
  EXPECT_EQ(parse_duration("0.1s", "--delay"), 100'000'000);
  EXPECT_EQ(parse_duration("2.25ms", "--delay"), 2'250'000);
  EXPECT_EQ(parse_duration("0.5us", "--delay"), 500);
}

TEST(DurationParser, ShouldAcceptBareZeroOnly) {
  EXPECT_EQ(parse_duration("0", "--after"), 0);
  EXPECT_EQ(parse_duration("0s", "--after"), 0);
  EXPECT_EQ(
      error_of([] { parse_duration("200", "--delay"); }),
      "duration '200' for --delay has no unit: expected a number with a unit (ns, us, ms, s, m, h), e.g. "
      "200ms");
}

TEST(DurationParser, ShouldRejectGarbageNamingOptionAndExpectedForm) {
  EXPECT_EQ(
      error_of([] { parse_duration("abc", "--delay"); }),
      "invalid duration 'abc' for --delay: expected a number with a unit (ns, us, ms, s, m, h), e.g. 200ms");
}

TEST(DurationParser, ShouldRejectNegative) {
  EXPECT_EQ(error_of([] { parse_duration("-5ms", "--jitter"); }),
            "negative duration '-5ms' for --jitter: expected a number with a unit (ns, us, ms, s, m, h), "
            "e.g. 200ms");
}

TEST(DurationParser, ShouldRejectUnknownUnitSpacesAndHalfNumbers) {
  EXPECT_EQ(
      error_of([] { parse_duration("5x", "--for"); }),
      "invalid duration '5x' for --for (unknown unit 'x'): expected a number with a unit (ns, us, ms, s, m, "
      "h), e.g. 200ms");
  EXPECT_NE(error_of([] { parse_duration("5 ms", "--for"); }), "");
  EXPECT_NE(error_of([] { parse_duration("1.s", "--for"); }), "");
  EXPECT_NE(error_of([] { parse_duration(".5s", "--for"); }), "");
  EXPECT_NE(error_of([] { parse_duration("", "--for"); }), "");
  EXPECT_NE(error_of([] { parse_duration("5MS", "--for"); }), "");
}

TEST(DurationParser, ShouldRejectOverflow) {
  EXPECT_NE(error_of([] { parse_duration("99999999999h", "--for"); }).find("too long"), std::string::npos);
}

}  // namespace
}  // namespace faultline::cli
