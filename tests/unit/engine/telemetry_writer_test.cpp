#include "faultline/shim/telemetry_writer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace faultline::shim {
namespace {

class TelemetryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { set_telemetry_sink(t.get()); }
  void TearDown() override { set_telemetry_sink(nullptr); }
  const abi::ClassCounters& counters(abi::CallClass c) const { return t->counters[static_cast<int>(c)]; }
  const abi::Histogram& histogram(abi::CallClass c) const { return t->histograms[static_cast<int>(c)]; }

  std::unique_ptr<abi::Telemetry> t = std::make_unique<abi::Telemetry>();
};

TEST_F(TelemetryWriterTest, ShouldCountCallsBytesAndDurationsPerClass) {
  record(abi::CallClass::kUdpSend, 1000, 64, 0);
  record(abi::CallClass::kUdpSend, 3000, 36, 0);
  const abi::ClassCounters& c = counters(abi::CallClass::kUdpSend);
  EXPECT_EQ(c.calls.load(), 2u);
  EXPECT_EQ(c.bytes.load(), 100u);
  EXPECT_EQ(c.sum_ns.load(), 4000u);
  EXPECT_EQ(c.max_ns.load(), 3000u);
  EXPECT_EQ(c.errors.load(), 0u);
  EXPECT_EQ(counters(abi::CallClass::kTcpSend).calls.load(), 0u);
}

TEST_F(TelemetryWriterTest, ShouldPutEachDurationInItsHistogramBucket) {
  record(abi::CallClass::kTcpRecv, 1000, 0, 0);
  record(abi::CallClass::kTcpRecv, 50, 0, 0);
  const abi::Histogram& h = histogram(abi::CallClass::kTcpRecv);
  EXPECT_EQ(h.buckets[abi::hist_bucket(1000)].load(), 1u);
  EXPECT_EQ(h.buckets[50].load(), 1u);
}

TEST_F(TelemetryWriterTest, ShouldCountErrorsByErrno) {
  record(abi::CallClass::kTcpConnect, 10, 0, ECONNREFUSED);
  record(abi::CallClass::kTcpConnect, 10, 0, 100000);  // beyond the table: the last slot
  EXPECT_EQ(counters(abi::CallClass::kTcpConnect).errors.load(), 2u);
  EXPECT_EQ(t->errno_counts[ECONNREFUSED].load(), 1u);
  EXPECT_EQ(t->errno_counts[abi::kErrnoSlots - 1].load(), 1u);
}

TEST_F(TelemetryWriterTest, ShouldCountFaultedCallsAndClampNegativeDurations) {
  record(abi::CallClass::kInjectedDelay, -5, 0, 0, true);
  const abi::ClassCounters& c = counters(abi::CallClass::kInjectedDelay);
  EXPECT_EQ(c.faulted.load(), 1u);
  EXPECT_EQ(c.sum_ns.load(), 0u);
  EXPECT_EQ(histogram(abi::CallClass::kInjectedDelay).buckets[0].load(), 1u);
}

TEST_F(TelemetryWriterTest, ShouldRecordNothingWithoutASink) {
  set_telemetry_sink(nullptr);
  record(abi::CallClass::kUdpSend, 1000, 64, 0);
  EXPECT_EQ(counters(abi::CallClass::kUdpSend).calls.load(), 0u);
}

}  // namespace
}  // namespace faultline::shim
