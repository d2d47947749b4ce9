// The bandwidth fault's shared token bucket (shim/bandwidth_table.h): burst
// and quantum sizes, pacing at the rate, a new arming starting full,
// refunds, and no reservation lost when threads race on one bucket.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "faultline/shim/bandwidth_table.h"

namespace faultline::shim::bandwidth {
namespace {

constexpr std::int64_t kStart = 1'000'000'000'000;  // an arbitrary monotonic instant

TEST(BandwidthBucket, ShouldBurstOneMtuOrOneMillisecondOfRateWhicheverIsLarger) {
  EXPECT_EQ(burst_bytes(1'000), kMinBurstBytes);
  EXPECT_EQ(burst_bytes(1'000'000), kMinBurstBytes);  // 1 ms = 1000 bytes < MTU
  EXPECT_EQ(burst_bytes(125'000'000), 125'000u);      // 1 Gbit/s: 1 ms = 125 kB
}

TEST(BandwidthBucket, ShouldCutStreamsIntoTenMillisecondsOfRateWithinBurstAndCap) {
  EXPECT_EQ(quantum(1'000), kMinBurstBytes);  // 10 ms = 10 bytes: the burst
  EXPECT_EQ(quantum(1'000'000), 10'000u);     // 10 ms at 1 MB/s
  EXPECT_EQ(quantum(1'000'000'000), kMaxQuantumBytes);
}

TEST(BandwidthBucket, ShouldPassTheBurstThenChargeEachByteItsDuration) {
  SharedBucket b;
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1'500), 0);  // the burst, at once
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1), 1'000);  // 1 MB/s: a byte is 1 us
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1'000), 1'001'000);
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart + 1'001'000, 0), 0);
}

TEST(BandwidthBucket, ShouldRoundEachReservationUpToTheNanosecond) {
  SharedBucket b;
  b.reserve(3, 1, kStart, 1'500);  // empty the burst: 500 s at 3 B/s
  const std::int64_t base = b.reserve(3, 1, kStart, 0);
  EXPECT_EQ(b.reserve(3, 1, kStart, 1) - base, 333'333'334);
}

TEST(BandwidthBucket, ShouldCapSavedTokensAtTheBurstAfterIdle) {
  SharedBucket b;
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1'500), 0);
  const std::int64_t later = kStart + 60'000'000'000;  // a minute idle refills only the burst
  EXPECT_EQ(b.reserve(1'000'000, 1, later, 11'500), 10'000'000);
}

TEST(BandwidthBucket, ShouldStartFullForANewArming) {
  SharedBucket b;
  EXPECT_GT(b.reserve(1'000'000, 1, kStart, 100'000), 0);  // deep in debt
  EXPECT_EQ(b.reserve(1'000'000, 2, kStart, 1'500), 0);    // another arming: full again
  EXPECT_GT(b.reserve(1'000'000, 2, kStart, 100'000), 0);
  EXPECT_EQ(b.reserve(2'000'000, 2, kStart, 1'500), 0);  // a changed rate: full again
  b.reset();
  EXPECT_EQ(b.reserve(2'000'000, 2, kStart, 1'500), 0);  // a closed descriptor: full again
}

TEST(BandwidthBucket, ShouldGiveBackTheDurationOfRefundedBytes) {
  SharedBucket b;
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1'500), 0);
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 5'000), 5'000'000);
  b.refund(1'000'000, 1, 4'000);  // only 1000 of them went
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 1'000), 2'000'000);
  b.refund(1'000'000, 7, 1'000'000);  // another arming's refund changes nothing
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 0), 2'000'000);
}

// Threads racing on one bucket: every reservation is accounted for, so the
// bucket's debt at the end is exactly the sum of what all took.
TEST(BandwidthBucket, ShouldLoseNoReservationWhenThreadsRace) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20'000;
  SharedBucket b;
  b.reserve(1'000'000, 1, kStart, 1'500);  // claimed and emptied
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      while (!go.load()) {
      }
      for (int i = 0; i < kEach; ++i) b.reserve(1'000'000, 1, kStart, 7);
    });
  go = true;
  for (std::thread& t : threads) t.join();
  // 80'000 reservations of 7 bytes, 7 us each.
  EXPECT_EQ(b.reserve(1'000'000, 1, kStart, 0), std::int64_t{kThreads} * kEach * 7'000);
}

TEST(BandwidthBucket, ShouldKeepOneBucketPerDescriptorAndDirection) {
  EXPECT_EQ(reserve(40'000, Way::kEgress, 1'000'000, 9, kStart, 1'500), 0);
  EXPECT_EQ(reserve(40'000, Way::kEgress, 1'000'000, 9, kStart, 1'000), 1'000'000);
  EXPECT_EQ(reserve(40'000, Way::kIngress, 1'000'000, 9, kStart, 1'500), 0);  // its own bucket
  EXPECT_EQ(reserve(40'001, Way::kEgress, 1'000'000, 9, kStart, 1'500), 0);
  forget(40'000);
  EXPECT_EQ(reserve(40'000, Way::kEgress, 1'000'000, 9, kStart, 1'500), 0);
  EXPECT_EQ(reserve(-1, Way::kEgress, 1'000'000, 9, kStart, 1'000'000), 0);  // not a descriptor: unpaced
}

}  // namespace
}  // namespace faultline::shim::bandwidth
