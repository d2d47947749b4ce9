// Exponential backoff with full jitter, at the unit level: bounds, shape and
// replay of the seeded delays (no clocks involved).
#include "faultline/pq/backoff.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace faultline::pq {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

BackoffPolicy policy(milliseconds base, milliseconds cap) {
  BackoffPolicy p;
  p.base = base;
  p.cap = cap;
  return p;
}

TEST(Backoff, ShouldDoubleTheCeilingOnEveryRetryUntilTheCap) {
  const Backoff backoff(policy(milliseconds(50), milliseconds(2000)), 1);
  EXPECT_EQ(backoff.ceiling(1), milliseconds(50));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(100));
  EXPECT_EQ(backoff.ceiling(3), milliseconds(200));
  EXPECT_EQ(backoff.ceiling(6), milliseconds(1600));
  EXPECT_EQ(backoff.ceiling(7), milliseconds(2000));
  EXPECT_EQ(backoff.ceiling(1000), milliseconds(2000));
}

TEST(Backoff, ShouldDrawEveryDelayBetweenZeroAndTheCeiling) {
  Backoff backoff(policy(milliseconds(10), milliseconds(500)), 42);
  for (int retry = 1; retry <= 8; ++retry) {
    for (int i = 0; i < 2000; ++i) {
      const microseconds d = backoff.delay(retry);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d, backoff.ceiling(retry)) << "retry " << retry;
    }
  }
}

// Full jitter is uniform on [0, ceiling]: the sample mean sits at half the
// ceiling and each tenth of the range holds a tenth of the draws, within
// five standard errors for n draws.
TEST(Backoff, ShouldSpreadDelaysUniformlyOverTheWholeRange) {
  constexpr int n = 20000;
  Backoff backoff(policy(milliseconds(100), milliseconds(100)), 7);
  const double ceiling = static_cast<double>(backoff.ceiling(1).count());
  double sum = 0;
  std::vector<int> deciles(10, 0);
  for (int i = 0; i < n; ++i) {
    const double d = static_cast<double>(backoff.delay(1).count());
    sum += d;
    ++deciles[std::min(9, static_cast<int>(d / ceiling * 10))];
  }
  const double mean_tolerance = 5 * ceiling / std::sqrt(12.0 * n);
  EXPECT_NEAR(sum / n, ceiling / 2, mean_tolerance);
  const double share_tolerance = 5 * std::sqrt(0.1 * 0.9 / n);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(deciles[k] / double(n), 0.1, share_tolerance) << "decile " << k;
}

TEST(Backoff, ShouldReplayTheSameDelaysForTheSameSeed) {
  Backoff a(policy(milliseconds(50), milliseconds(2000)), 1234);
  Backoff b(policy(milliseconds(50), milliseconds(2000)), 1234);
  Backoff other(policy(milliseconds(50), milliseconds(2000)), 1235);
  int differences = 0;
  for (int retry = 1; retry <= 10; ++retry) {
    const microseconds d = a.delay(retry);
    EXPECT_EQ(d, b.delay(retry));
    differences += d != other.delay(retry) ? 1 : 0;
  }
  EXPECT_GT(differences, 5);
}

TEST(Backoff, ShouldNeverWaitWhenTheBaseIsZero) {
  Backoff backoff(policy(milliseconds(0), milliseconds(1000)), 3);
  for (int retry = 1; retry < 5; ++retry) EXPECT_EQ(backoff.delay(retry), microseconds(0));
}

}  // namespace
}  // namespace faultline::pq
