#include "faultline/shim/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sample_stats.h"

namespace faultline::shim {
namespace {

constexpr std::size_t kSamples = 200'000;

// xoshiro256** seeded by splitmix64, recomputed from the published
// reference algorithms: a change to either breaks every seeded replay.
TEST(RngTest, ShouldMatchReferenceXoshiroSplitmixSequence) {
  Rng rng(0);
  const std::uint64_t first[4] = {rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64()};
  std::uint64_t sm = 0, s[4];
  for (auto& w : s) {
    std::uint64_t z = (sm += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    w = z ^ (z >> 31);
  }
  EXPECT_EQ(s[0], 0xe220a8397b1dcdafULL);  // splitmix64's well-known first output for 0
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  for (std::uint64_t expected : first) {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    EXPECT_EQ(expected, result);
  }
}

TEST(RngTest, ShouldRepeatSequenceForSameSeed) {
  Rng a(1234), b(1234), c(1235);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t va = a.next_u64();
    EXPECT_EQ(va, b.next_u64());
    differs |= va != c.next_u64();
  }
  EXPECT_TRUE(differs);
  a.reseed(99);
  b.reseed(99);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(a.normal(), b.normal());
}

TEST(RngTest, ShouldForgetCachedNormalOnReseed) {
  Rng a(5);
  const double first = a.normal();
  a.reseed(5);
  EXPECT_EQ(a.normal(), first);
}

TEST(RngTest, ShouldDrawUniformInUnitIntervalWithMomentsOfUniform) {
  Rng rng(7);
  std::vector<double> x(kSamples);
  for (auto& v : x) {
    v = rng.uniform01();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  const test::Summary s = test::summarize(x);
  EXPECT_TRUE(test::mean_within_tolerance(s, kSamples, 0.5, std::sqrt(1.0 / 12), 0));
  EXPECT_TRUE(test::stddev_within_tolerance(s, kSamples, std::sqrt(1.0 / 12), 0));
  EXPECT_NEAR(s.lag1, 0.0, 5 / std::sqrt(static_cast<double>(kSamples)));
}

TEST(RngTest, ShouldDrawStandardNormals) {
  Rng rng(8);
  std::vector<double> x(kSamples);
  for (auto& v : x) v = rng.normal();
  const test::Summary s = test::summarize(x);
  EXPECT_TRUE(test::mean_within_tolerance(s, kSamples, 0.0, 1.0, 0));
  EXPECT_TRUE(test::stddev_within_tolerance(s, kSamples, 1.0, 0));
  EXPECT_NEAR(s.kurtosis, 3.0, 5 * std::sqrt(96.0 / kSamples));
  EXPECT_NEAR(s.lag1, 0.0, 5 / std::sqrt(static_cast<double>(kSamples)));
  // One-sample Kolmogorov-Smirnov against Phi.
  std::sort(x.begin(), x.end());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double cdf = 0.5 * std::erfc(-x[i] / std::sqrt(2.0));
    d = std::max({d, std::abs(cdf - static_cast<double>(i) / kSamples),
                  std::abs(cdf - static_cast<double>(i + 1) / kSamples)});
  }
  EXPECT_LE(d, std::sqrt(-0.5 * std::log(1e-6 / 2) / kSamples));
}

TEST(RngTest, ShouldHonourChancePpm) {
  Rng rng(9);
  int hits = 0;
  for (int i = 0; i < 10'000; ++i) hits += rng.chance_ppm(0);
  EXPECT_EQ(hits, 0);
  for (int i = 0; i < 10'000; ++i) hits += rng.chance_ppm(1'000'000);
  EXPECT_EQ(hits, 10'000);
  for (std::uint32_t ppm : {1'000u, 250'000u, 999'000u}) {
    hits = 0;
    for (std::size_t i = 0; i < kSamples; ++i) hits += rng.chance_ppm(ppm);
    const double p = ppm / 1e6;
    EXPECT_NEAR(hits / static_cast<double>(kSamples), p, 5 * std::sqrt(p * (1 - p) / kSamples)) << ppm;
  }
}

TEST(RngTest, ShouldDeriveDistinctUncorrelatedStreamsFromMixSeed) {
  EXPECT_EQ(mix_seed(1, 2), mix_seed(1, 2));
  EXPECT_NE(mix_seed(1, 0), mix_seed(1, 1));
  EXPECT_NE(mix_seed(1, 0), mix_seed(2, 0));
  EXPECT_NE(mix_seed(0, 0), 0u);
  // Neighbouring streams of one seed are uncorrelated.
  Rng a(mix_seed(42, 0)), b(mix_seed(42, 1));
  double sum = 0;
  for (std::size_t i = 0; i < kSamples; ++i) sum += a.normal() * b.normal();
  EXPECT_NEAR(sum / kSamples, 0.0, 5 / std::sqrt(static_cast<double>(kSamples)));
}

}  // namespace
}  // namespace faultline::shim
