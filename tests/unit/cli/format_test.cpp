#include "faultline/cli/format.h"

#include <gtest/gtest.h>

#include "faultline/cli/fault.h"

namespace faultline::cli {
namespace {

TEST(FormatDuration, ShouldPickTheLargestWholeUnit) {
  EXPECT_EQ(format_duration(0), "0");
  EXPECT_EQ(format_duration(500), "500ns");
  EXPECT_EQ(format_duration(250'000), "250us");
  EXPECT_EQ(format_duration(200'000'000), "200ms");
  EXPECT_EQ(format_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(format_duration(120'000'000'000), "2m");
  EXPECT_EQ(format_duration(3'600'000'000'000), "1h");
}

TEST(FormatAge, ShouldShowTwoUnits) {
  EXPECT_EQ(format_age(850'000'000), "850ms");
  EXPECT_EQ(format_age(42'000'000'000), "42s");
  EXPECT_EQ(format_age(312'000'000'000), "5m12s");
  EXPECT_EQ(format_age(10'920'000'000'000), "3h02m");
}

TEST(FormatPercent, ShouldDropTrailingZeros) {
  EXPECT_EQ(format_percent(750'000), "75%");
  EXPECT_EQ(format_percent(5'000), "0.5%");
  EXPECT_EQ(format_percent(1), "0.0001%");
}

TEST(DescribeFault, ShouldShowLatencyAsDelayJitterAndCorrelation) {
  const abi::FaultSpec s =
      build_fault("latency", {{"delay", "200ms"}, {"jitter", "50ms"}, {"correlation", "75"}});
  EXPECT_EQ(describe_fault(s), "latency 200ms\u00b150ms, 75% correlated");
  EXPECT_EQ(describe_fault(build_fault("latency", {{"delay", "2ms"}})), "latency 2ms");
}

TEST(DescribeFault, ShouldShowLossRateAndModel) {
  EXPECT_EQ(describe_fault(build_fault("loss", {{"pct", "5"}})), "loss 5%, tcp rto 200ms");
  EXPECT_EQ(describe_fault(build_fault("loss", {{"pct", "5"}, {"correlation", "25"}})),
            "loss 5%, 25% correlated, tcp rto 200ms");
}

TEST(DescribeFault, ShouldShowOtherKindsParameters) {
  EXPECT_EQ(describe_fault(build_fault("bandwidth", {{"rate", "10Mbit/s"}})), "bandwidth 1.25MB/s");
  EXPECT_EQ(describe_fault(build_fault("errno", {{"errno", "EAGAIN"}, {"pct", "10"}})), "errno EAGAIN 10%");
  EXPECT_EQ(describe_fault(build_fault("refuse", {})), "refuse ECONNREFUSED");
}

TEST(DescribeMatch, ShouldListOnlyWhatNarrowsTheMatch) {
  EXPECT_EQ(describe_match(build_fault("reset", {}).match), "");
  EXPECT_EQ(describe_match(build_fault("reset", {{"dst", "10.0.0.0/8:5432"}, {"proto", "tcp"}}).match),
            "dst 10.0.0.0/8:5432, tcp");
  EXPECT_EQ(describe_match(build_fault("reset", {{"dst", "[::1]:80"}, {"dir", "ingress"}}).match),
            "dst [::1]:80, ingress");
  EXPECT_EQ(describe_match(build_fault("reset", {{"dst", ":9000"}}).match), "dst :9000");
}

}  // namespace
}  // namespace faultline::cli
