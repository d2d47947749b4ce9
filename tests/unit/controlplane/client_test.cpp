// What a tool reads from a segment: armed faults, events, telemetry and
// percentiles; and the commands it builds.
#include "faultline/controlplane/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "faultline/controlplane/publish.h"
#include "test_support.h"

namespace faultline::cp {
namespace {

using namespace std::chrono_literals;
using testing::latency_spec;
using testing::ScopedSegment;

// A segment of this process with no apply thread, and a client on it.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(s.segment.valid());
    std::string reason;
    auto c = Client::attach(getpid(), &reason);
    ASSERT_TRUE(c.has_value()) << reason;
    client.emplace(std::move(*c));
  }
  ScopedSegment s;
  std::optional<Client> client;
};

TEST_F(ClientTest, ShouldReadOnlyArmedFaultSlots) {
  abi::FaultSlot* slots = s.segment.faults();
  arm_fault_slot(slots[2], latency_spec("two"), 100, 200, 300, 42);
  arm_fault_slot(slots[5], latency_spec("five"), 1, 2, 3, 4);
  free_fault_slot(slots[5]);
  slots[2].hits.store(7);
  slots[2].matched.store(9);
  const std::vector<FaultView> faults = client->faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].slot, 2);
  EXPECT_STREQ(faults[0].spec.id, "two");
  EXPECT_EQ(faults[0].armed_mono_ns, 100);
  EXPECT_EQ(faults[0].starts_mono_ns, 200);
  EXPECT_EQ(faults[0].expires_mono_ns, 300);
  EXPECT_EQ(faults[0].seed, 42u);
  EXPECT_EQ(faults[0].hits, 7u);
  EXPECT_EQ(faults[0].matched, 9u);
  EXPECT_EQ(slots[2].generation.load() % 2, 0u);
}

TEST_F(ClientTest, ShouldResetCountersWhenASlotIsRearmed) {
  abi::FaultSlot& slot = s.segment.faults()[0];
  arm_fault_slot(slot, latency_spec("a"), 1, 1, 1, 1);
  slot.hits.store(5);
  arm_fault_slot(slot, latency_spec("b"), 1, 1, 1, 1);
  const std::vector<FaultView> faults = client->faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_STREQ(faults[0].spec.id, "b");
  EXPECT_EQ(faults[0].hits, 0u);
}

TEST_F(ClientTest, ShouldSkipASlotWhoseWriterStoppedMidUpdate) {
  arm_fault_slot(s.segment.faults()[0], latency_spec("ok"), 1, 1, 1, 1);
  arm_fault_slot(s.segment.faults()[1], latency_spec("torn"), 1, 1, 1, 1);
  begin_fault_slot_update(s.segment.faults()[1]);  // never ended: a writer that died
  const std::vector<FaultView> faults = client->faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_STREQ(faults[0].spec.id, "ok");
}

TEST_F(ClientTest, ShouldReturnEventsInOrderFromAnIndex) {
  for (int i = 0; i < 5; ++i)
    publish_event(s.segment, abi::EventType::kFaultFired, i, 0, static_cast<std::uint64_t>(i) * 10, "f",
                  "detail");
  const std::vector<EventView> all = client->events(0);
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].index, i);
    EXPECT_EQ(all[i].type, abi::EventType::kFaultFired);
    EXPECT_EQ(all[i].fault_slot, static_cast<std::int32_t>(i));
    EXPECT_EQ(all[i].count, i * 10);
    EXPECT_EQ(all[i].fault_id, "f");
    EXPECT_EQ(all[i].detail, "detail");
    EXPECT_GT(all[i].mono_ns, 0);
    EXPECT_GT(all[i].wall_ns, 0);
  }
  const std::vector<EventView> tail = client->events(3);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].index, 3u);
  EXPECT_TRUE(client->events(5).empty());
}

TEST_F(ClientTest, ShouldKeepOnlyTheLastEventSlotsAfterWrapping) {
  const std::uint64_t total = abi::kEventSlots + 10;
  for (std::uint64_t i = 0; i < total; ++i)
    publish_event(s.segment, abi::EventType::kFaultExpired, -1, 0, i, "", "");
  const std::vector<EventView> events = client->events(0);
  ASSERT_EQ(events.size(), abi::kEventSlots);
  EXPECT_EQ(events.front().index, 10u);
  EXPECT_EQ(events.front().count, 10u);
  EXPECT_EQ(events.back().index, total - 1);
}

TEST_F(ClientTest, ShouldStopBeforeAnEventStillBeingWritten) {
  publish_event(s.segment, abi::EventType::kFaultArmed, 0, 0, 0, "a", "");
  s.segment.header()->event_head.fetch_add(1);  // a writer that has claimed index 1 but not written it
  publish_event(s.segment, abi::EventType::kFaultArmed, 0, 0, 0, "c", "");
  const std::vector<EventView> events = client->events(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].fault_id, "a");
}

TEST_F(ClientTest, ShouldTruncateLongEventStrings) {
  const std::string long_detail(200, 'd');
  publish_event(s.segment, abi::EventType::kInternalError, -1, 12, 0, "id", long_detail.c_str());
  const std::vector<EventView> events = client->events(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail, long_detail.substr(0, abi::kEventDetailLen - 1));
  EXPECT_EQ(events[0].err, 12);
}

TEST_F(ClientTest, ShouldSnapshotTelemetryCounters) {
  abi::Telemetry& t = *s.segment.telemetry();
  const auto udp = static_cast<std::size_t>(abi::CallClass::kUdpSend);
  t.enabled.store(1);
  t.internal_errors.store(3);
  t.counters[udp].calls.store(10);
  t.counters[udp].bytes.store(1000);
  t.counters[udp].max_ns.store(900);
  t.histograms[udp].buckets[abi::hist_bucket(900)].store(10);
  t.errno_counts[11].store(4);
  const TelemetrySnapshot snap = client->telemetry();
  EXPECT_TRUE(snap.enabled);
  EXPECT_EQ(snap.internal_errors, 3u);
  ASSERT_EQ(snap.classes.size(), abi::kCallClasses);
  EXPECT_EQ(snap.classes[udp].calls, 10u);
  EXPECT_EQ(snap.classes[udp].bytes, 1000u);
  EXPECT_EQ(snap.classes[udp].count(), 10u);
  EXPECT_EQ(snap.classes[udp].percentile_ns(0.5), 900u);  // capped at the observed max
  EXPECT_EQ(snap.errno_counts.size(), abi::kErrnoSlots);
  EXPECT_EQ(snap.errno_counts[11], 4u);
  EXPECT_GT(snap.mono_ns, 0);
}

TEST_F(ClientTest, ShouldReturnZeroWhenTheRingIsFull) {
  for (std::uint32_t i = 0; i < abi::kCommandRingCapacity; ++i)
    ASSERT_NE(client->submit(make_clear_all()), 0u);
  EXPECT_EQ(client->submit(make_clear_all()), 0u);
  const AckResult r = client->request(make_clear_all(), 1ms);
  EXPECT_EQ(r.status, abi::AckStatus::kPending);
  EXPECT_NE(r.reason.find("is full"), std::string::npos) << r.reason;
}

TEST_F(ClientTest, ShouldNumberCommandsFromOneAndRingTheDoorbell) {
  const std::uint32_t bell = s.segment.header()->doorbell.load();
  EXPECT_EQ(client->submit(make_clear_all()), 1u);
  EXPECT_EQ(client->submit(make_clear_all()), 2u);
  EXPECT_EQ(s.segment.header()->doorbell.load(), bell + 2);
  abi::Command popped;
  ASSERT_TRUE(s.segment.ring()->pop(popped));
  EXPECT_EQ(popped.seq, 1u);
  EXPECT_GT(popped.submit_mono_ns, 0);
}

TEST_F(ClientTest, ShouldReportNoAcknowledgementWhenNobodyApplies) {
  const std::uint64_t seq = client->submit(make_clear_all());
  const AckResult r = client->wait_ack(seq, 2ms);
  EXPECT_EQ(r.status, abi::AckStatus::kPending);
  EXPECT_NE(r.reason.find("no acknowledgement from pid"), std::string::npos) << r.reason;
}

TEST_F(ClientTest, ShouldReportAnAcknowledgementOverwrittenByALaterCommand) {
  abi::Ack& slot = s.segment.acks()[5 % abi::kAckSlots];
  slot.seq.store(5 + abi::kAckSlots);
  const AckResult r = client->wait_ack(5, 1s);
  EXPECT_EQ(r.status, abi::AckStatus::kPending);
  EXPECT_NE(r.reason.find("overwritten"), std::string::npos) << r.reason;
}

TEST(ClassStats, ShouldComputeExactPercentilesBelowSixtyFourNanoseconds) {
  ClassStats stats;
  stats.buckets.assign(abi::kHistBuckets, 0);
  for (std::uint64_t v = 1; v <= 60; ++v) stats.buckets[abi::hist_bucket(v)]++;
  stats.max_ns = 60;
  EXPECT_EQ(stats.percentile_ns(0.5), 30u);
  EXPECT_EQ(stats.percentile_ns(0.9), 54u);
  EXPECT_EQ(stats.percentile_ns(1.0), 60u);
  EXPECT_EQ(stats.percentile_ns(0.0), 1u);
}

TEST(ClassStats, ShouldStayWithinOneSubBucketOfTheExactPercentile) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(10.0, 1.5);  // ~22 us median, long tail
  std::vector<std::uint64_t> values(20000);
  ClassStats stats;
  stats.buckets.assign(abi::kHistBuckets, 0);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(latency(rng)) + 1;
    stats.buckets[abi::hist_bucket(v)]++;
    stats.max_ns = std::max(stats.max_ns, v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const std::uint64_t exact = values[rank - 1];
    const std::uint64_t estimate = stats.percentile_ns(q);
    EXPECT_GE(estimate, exact) << q;  // the upper bound of the bucket holding it
    EXPECT_LE(static_cast<double>(estimate - exact), static_cast<double>(exact) / abi::kHistSub) << q;
  }
  EXPECT_EQ(stats.percentile_ns(1.0), stats.max_ns);
}

TEST(ClassStats, ShouldReportZeroForAnEmptyHistogram) {
  ClassStats stats;
  stats.buckets.assign(abi::kHistBuckets, 0);
  EXPECT_EQ(stats.percentile_ns(0.99), 0u);
}

TEST(Commands, ShouldBuildEachCommand) {
  const abi::Command inject = make_inject(latency_spec("x"));
  EXPECT_EQ(inject.op, static_cast<std::uint16_t>(abi::CommandOp::kInject));
  EXPECT_STREQ(inject.fault.id, "x");
  const abi::Command clear = make_clear("lat-1");
  EXPECT_EQ(clear.op, static_cast<std::uint16_t>(abi::CommandOp::kClear));
  EXPECT_STREQ(clear.target_id, "lat-1");
  EXPECT_EQ(make_clear_all().op, static_cast<std::uint16_t>(abi::CommandOp::kClearAll));
  const abi::Command renew = make_renew_lease(nullptr, 5'000'000'000);
  EXPECT_EQ(renew.op, static_cast<std::uint16_t>(abi::CommandOp::kRenewLease));
  EXPECT_EQ(renew.lease_ns, 5'000'000'000);
  EXPECT_STREQ(renew.target_id, "");
  EXPECT_EQ(make_telemetry(true).flags, 1u);
  EXPECT_EQ(make_telemetry(false).flags, 0u);
  EXPECT_EQ(make_telemetry(true).op, static_cast<std::uint16_t>(abi::CommandOp::kTelemetry));
}

TEST(Commands, ShouldTruncateALongIdToATerminatedField) {
  const std::string long_id(100, 'i');
  const abi::Command clear = make_clear(long_id.c_str());
  EXPECT_EQ(std::string(clear.target_id), long_id.substr(0, abi::kIdLen - 1));
}

}  // namespace
}  // namespace faultline::cp
