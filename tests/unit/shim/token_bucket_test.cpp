#include "faultline/shim/token_bucket.h"

#include <gtest/gtest.h>

#include "faultline/shim/rng.h"

namespace faultline::shim {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr std::int64_t kStart = 1'000'000'000'000;  // an arbitrary monotonic instant

TEST(TokenBucketTest, ShouldPassBurstThenChargeEachByteItsDuration) {
  TokenBucket b;
  b.configure(1'000'000, 10'000, kStart);  // 1 MB/s: a byte is 1000 ns
  EXPECT_EQ(b.reserve(kStart, 10'000), 0);
  EXPECT_EQ(b.reserve(kStart, 1), 1'000);
  EXPECT_EQ(b.reserve(kStart, 2), 3'000);
  EXPECT_EQ(b.reserve(kStart + 3'000, 0), 0);
}

TEST(TokenBucketTest, ShouldRoundFractionalWaitUp) {
  TokenBucket b;
  b.configure(3, 0, kStart);  // a byte is 333333333.33 ns
  EXPECT_EQ(b.reserve(kStart, 1), 333'333'334);
  EXPECT_EQ(b.reserve(kStart, 1), 666'666'667);
  EXPECT_EQ(b.reserve(kStart, 1), 1'000'000'000);
}

TEST(TokenBucketTest, ShouldCapSavedTokensAtBurstAfterIdle) {
  TokenBucket b;
  b.configure(1'000'000, 10'000, kStart);
  EXPECT_EQ(b.reserve(kStart, 10'000), 0);
  const std::int64_t later = kStart + 60'000'000'000;  // a minute idle refills only the burst
  EXPECT_EQ(b.reserve(later, 20'000), 10'000'000);
}

TEST(TokenBucketTest, ShouldChargeDebtForReservationLargerThanBurst) {
  TokenBucket b;
  b.configure(1'000'000, 1'000, kStart);
  EXPECT_EQ(b.reserve(kStart, 3'000), 2'000'000);
  EXPECT_EQ(b.reserve(kStart + 1'000'000, 1), 1'001'000);
}

TEST(TokenBucketTest, ShouldNotLimitWhenRateIsZero) {
  TokenBucket b;
  b.configure(0, 0, kStart);
  EXPECT_EQ(b.reserve(kStart, 1'000'000'000), 0);
}

// A sender that always waits exactly what reserve() returns finishes the
// last byte at start - burst/rate + total/rate, rounded up to the ns, with
// no drift after a million reservations at a rate that does not divide 1e9.
TEST(TokenBucketTest, ShouldKeepLongRunRateExactWithoutDrift) {
  constexpr std::uint64_t kRate = 1'000'003;  // bytes/s
  constexpr std::uint64_t kBurst = 1'500;
  TokenBucket b;
  b.configure(kRate, kBurst, kStart);
  Rng rng(42);
  std::int64_t now = kStart;
  u128 total = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const std::size_t bytes = 1 + rng.next_u64() % 1'500;
    total += bytes;
    now += b.reserve(now, bytes);
  }
  const u128 scaled = (total - kBurst) * 1'000'000'000u;
  const auto expected_ns = static_cast<std::int64_t>((scaled + kRate - 1) / kRate);
  EXPECT_EQ(now - kStart, expected_ns);
}

}  // namespace
}  // namespace faultline::shim
