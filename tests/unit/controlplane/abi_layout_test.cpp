// The segment's layout is an ABI between separately built tools and
// targets: these pin it at run time too, not only in static_asserts.
#include <gtest/gtest.h>

#include <cstddef>

#include "faultline/controlplane/abi.h"
#include "test_support.h"

namespace faultline::abi {
namespace {

TEST(AbiLayout, ShouldKeepStructSizesAndOffsets) {
  EXPECT_EQ(sizeof(Match), 248u);
  EXPECT_EQ(sizeof(FaultSpec), 600u);
  EXPECT_EQ(offsetof(FaultSpec, match), 352u);
  EXPECT_EQ(sizeof(Command), 664u);
  EXPECT_EQ(sizeof(Ack), 192u);
  EXPECT_EQ(sizeof(Event), 192u);
  EXPECT_EQ(sizeof(FaultSlot), 704u);
  EXPECT_EQ(sizeof(ClassCounters), 64u);
  EXPECT_EQ(sizeof(Header), 704u);
  EXPECT_EQ(offsetof(Header, abi_version), 8u);
  EXPECT_EQ(offsetof(Header, program), 56u);
  EXPECT_EQ(offsetof(Header, labels), 120u);
  EXPECT_EQ(offsetof(Header, ring_offset), 376u);
  EXPECT_EQ(offsetof(Header, doorbell), 448u);
  EXPECT_EQ(offsetof(Header, emergency_clear), 464u);
  EXPECT_EQ(offsetof(Header, heartbeat_mono_ns), 512u);
  EXPECT_EQ(offsetof(Header, next_seq), 576u);
  EXPECT_EQ(offsetof(Header, event_head), 640u);
}

TEST(AbiLayout, ShouldUseLockFreeAtomicsThatCrossProcesses) {
  EXPECT_TRUE(std::atomic<std::uint32_t>::is_always_lock_free);
  EXPECT_TRUE(std::atomic<std::uint64_t>::is_always_lock_free);
  EXPECT_TRUE(std::atomic<std::int64_t>::is_always_lock_free);
  cp::testing::ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  EXPECT_TRUE(s.segment.ring()->is_lock_free());
}

TEST(AbiLayout, ShouldKeepLayoutHashStableWithinTheBuild) {
  // Through a volatile pointer, so the hash is computed at run time.
  std::uint64_t (*volatile compute)() noexcept = &compute_layout_hash;
  const std::uint64_t at_run_time = compute();
  EXPECT_EQ(at_run_time, kLayoutHash);
  EXPECT_NE(kLayoutHash, 0u);
  cp::testing::ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  EXPECT_EQ(s.segment.header()->layout_hash, kLayoutHash);
}

TEST(AbiLayout, ShouldPlaceEveryRegionOnItsOwnPagesInOrder) {
  constexpr Layout l = layout();
  const std::size_t starts[] = {l.ring, l.acks, l.events, l.faults, l.telemetry, l.total};
  const std::size_t sizes[] = {sizeof(CommandRing), sizeof(Ack) * kAckSlots, sizeof(Event) * kEventSlots,
                               sizeof(FaultSlot) * kMaxFaults, sizeof(Telemetry)};
  EXPECT_GE(l.ring, sizeof(Header));
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(starts[i] % kPage, 0u) << "region " << i;
    EXPECT_GE(starts[i + 1] - starts[i], sizes[i]) << "region " << i;
  }
  EXPECT_EQ(kSegmentSize, l.total);
  EXPECT_EQ(alignof(CommandRing) <= kPage, true);
}

TEST(AbiLayout, ShouldFitTheSegmentInFourMebibytes) {
  EXPECT_LE(kSegmentSize, 4u * 1024 * 1024);
}

TEST(AbiLayout, ShouldRecordOffsetsOfTheLayoutInTheHeader) {
  cp::testing::ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  const Header& h = *s.segment.header();
  constexpr Layout l = layout();
  EXPECT_EQ(h.ring_offset, l.ring);
  EXPECT_EQ(h.acks_offset, l.acks);
  EXPECT_EQ(h.events_offset, l.events);
  EXPECT_EQ(h.faults_offset, l.faults);
  EXPECT_EQ(h.telemetry_offset, l.telemetry);
  EXPECT_EQ(h.segment_size, kSegmentSize);
  EXPECT_EQ(h.header_size, sizeof(Header));
  const auto* base = reinterpret_cast<const char*>(s.segment.header());
  EXPECT_EQ(reinterpret_cast<const char*>(s.segment.ring()) - base, static_cast<std::ptrdiff_t>(l.ring));
  EXPECT_EQ(reinterpret_cast<const char*>(s.segment.telemetry()) - base,
            static_cast<std::ptrdiff_t>(l.telemetry));
}

TEST(AbiLayout, ShouldBucketEveryValueWithinOneSubBucketOfRelativeError) {
  for (std::uint64_t v = 0; v < (1u << 20); v += 1 + v / 97) {
    const std::uint32_t b = hist_bucket(v);
    ASSERT_LT(b, kHistBuckets);
    const std::uint64_t low = hist_bucket_low(b);
    const std::uint64_t next = hist_bucket_low(b + 1);
    ASSERT_LE(low, v) << v;
    ASSERT_LT(v, next) << v;
    if (v >= 2 * kHistSub) {
      ASSERT_LE(static_cast<double>(next - low) / static_cast<double>(low), 1.0 / kHistSub);
    }
  }
  EXPECT_EQ(hist_bucket(~0ULL), kHistBuckets - 1);
}

}  // namespace
}  // namespace faultline::abi
