#include <gtest/gtest.h>

#include "error_of.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

using test::error_of;

TEST(SizeParser, ShouldUseThousandsForDecimalAndPowersOfTwoForBinaryPrefixes) {
  EXPECT_EQ(parse_size("512", "--max"), 512u);
  EXPECT_EQ(parse_size("16B", "--max"), 16u);
  EXPECT_EQ(parse_size("64KB", "--max"), 64'000u);
  EXPECT_EQ(parse_size("64kB", "--max"), 64'000u);
  EXPECT_EQ(parse_size("1.5MB", "--max"), 1'500'000u);
  EXPECT_EQ(parse_size("2GB", "--max"), 2'000'000'000u);
  EXPECT_EQ(parse_size("1KiB", "--max"), 1024u);
  EXPECT_EQ(parse_size("1MiB", "--max"), 1'048'576u);
}

TEST(SizeParser, ShouldRejectBitsGarbageAndHugeSizes) {
  EXPECT_EQ(
      error_of([] { parse_size("10Mbit", "--max"); }),
      "invalid size '10Mbit' for --max: expected bytes with an optional unit (B, kB, MB, GB = 1000^n; KiB, "
      "MiB, GiB = 1024^n) below 4GiB, e.g. 64KB");
  EXPECT_NE(error_of([] { parse_size("abc", "--max"); }), "");
  EXPECT_NE(error_of([] { parse_size("-1", "--max"); }), "");
  EXPECT_NE(error_of([] { parse_size("5GiB", "--max"); }), "");
}

TEST(RateParser, ShouldReadByteAndBitRates) {
  EXPECT_EQ(parse_rate("1MB/s", "--rate"), 1'000'000u);
  EXPECT_EQ(parse_rate("500KB/s", "--rate"), 500'000u);
  EXPECT_EQ(parse_rate("64KiB/s", "--rate"), 65'536u);
  EXPECT_EQ(parse_rate("10Mbit/s", "--rate"), 1'250'000u);
  EXPECT_EQ(parse_rate("10mbit/s", "--rate"), 1'250'000u);
  EXPECT_EQ(parse_rate("1Gbit/s", "--rate"), 125'000'000u);
  EXPECT_EQ(parse_rate("800bit/s", "--rate"), 100u);
  EXPECT_EQ(parse_rate("100/s", "--rate"), 100u);
}

TEST(RateParser, ShouldRequirePerSecondAndAPositiveRate) {
  const std::string expected =
      "invalid rate '1MB' for --rate: expected a positive amount per second such as 1MB/s, 500KB/s, 64KiB/s "
      "or "
      "10Mbit/s";
  EXPECT_EQ(error_of([] { parse_rate("1MB", "--rate"); }), expected);
  EXPECT_NE(error_of([] { parse_rate("0MB/s", "--rate"); }), "");
  EXPECT_NE(error_of([] { parse_rate("fast", "--rate"); }), "");
  EXPECT_NE(error_of([] { parse_rate("1MB/min", "--rate"); }), "");
}

TEST(PercentParser, ShouldReadPlainAndPercentSignedValuesAsPpm) {
  EXPECT_EQ(parse_percent_ppm("75", "--pct"), 750'000u);
  EXPECT_EQ(parse_percent_ppm("75%", "--pct"), 750'000u);
  EXPECT_EQ(parse_percent_ppm("0", "--pct"), 0u);
  EXPECT_EQ(parse_percent_ppm("100", "--pct"), 1'000'000u);
  EXPECT_EQ(parse_percent_ppm("0.5%", "--pct"), 5'000u);
  EXPECT_EQ(parse_percent_ppm("0.0001", "--pct"), 1u);
  EXPECT_EQ(parse_percent_ppm("12.3456", "--pct"), 123'456u);
}

TEST(PercentParser, ShouldRejectOutOfRangeAndGarbage) {
  EXPECT_EQ(error_of([] { parse_percent_ppm("101", "--pct"); }),
            "invalid percentage '101' for --pct: expected a number from 0 to 100, optionally followed by %, "
            "e.g. 75 "
            "or 0.5%");
  EXPECT_NE(error_of([] { parse_percent_ppm("-1", "--pct"); }), "");
  EXPECT_NE(error_of([] { parse_percent_ppm("half", "--correlation"); }), "");
  EXPECT_NE(error_of([] { parse_percent_ppm("50%%", "--pct"); }), "");
  EXPECT_NE(error_of([] { parse_percent_ppm("", "--pct"); }), "");
}

TEST(CountParser, ShouldReadWholeNumbersUpToTheLimit) {
  EXPECT_EQ(parse_count("0", "--max-hits", 10), 0u);
  EXPECT_EQ(parse_count("10", "--max-hits", 10), 10u);
  EXPECT_EQ(error_of([] { parse_count("11", "--max-hits", 10); }),
            "invalid number '11' for --max-hits: expected a whole number from 0 to 10");
  EXPECT_NE(error_of([] { parse_count("1.5", "--max-hits", 10); }), "");
  EXPECT_NE(error_of([] { parse_count("-1", "--max-hits", 10); }), "");
  EXPECT_NE(error_of([] { parse_count("", "--max-hits", 10); }), "");
}

TEST(PortParser, ShouldAcceptOneTo65535) {
  EXPECT_EQ(parse_port("1", "--src-port"), 1);
  EXPECT_EQ(parse_port("65535", "--src-port"), 65535);
  EXPECT_EQ(error_of([] { parse_port("0", "--src-port"); }),
            "invalid port '0' for --src-port: expected a number from 1 to 65535");
  EXPECT_NE(error_of([] { parse_port("65536", "--src-port"); }), "");
  EXPECT_NE(error_of([] { parse_port("http", "--src-port"); }), "");
}

}  // namespace
}  // namespace faultline::cli
