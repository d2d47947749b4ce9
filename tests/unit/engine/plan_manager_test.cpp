#include "faultline/shim/plan_manager.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "faultline/controlplane/client.h"
#include "faultline/controlplane/segment.h"
#include "faultline/controlplane/validate.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/plan.h"
#include "faultline/testing/loopback.h"

namespace faultline::shim {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

abi::FaultSpec latency(const char* id, std::int64_t delay_ns) {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
  f.pct_ppm = 1'000'000;
  f.for_ns = 60 * kSec;
  f.seed = 42;
  f.delay_ns = delay_ns;
  return f;
}

abi::FaultSpec loss(const char* id, std::uint32_t loss_ppm) {
  abi::FaultSpec f = latency(id, 0);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kLoss);
  f.loss_ppm = loss_ppm;
  return f;
}

abi::Command inject(const abi::FaultSpec& f) {
  abi::Command c{};
  c.seq = 1;
  c.op = static_cast<std::uint16_t>(abi::CommandOp::kInject);
  c.fault = f;
  return c;
}

abi::Command by_id(abi::CommandOp op, const char* id) {
  abi::Command c{};
  c.seq = 1;
  c.op = static_cast<std::uint16_t>(op);
  std::strncpy(c.target_id, id, sizeof c.target_id - 1);
  return c;
}

SocketInfo udp_peer(std::uint16_t port) {
  SocketInfo s;
  s.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  s.datagram = 1;
  sockaddr_in a = testing::loopback(port);
  set_peer(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return s;
}

SocketInfo tcp_peer(std::uint16_t port) {
  SocketInfo s = udp_peer(port);
  s.proto = static_cast<std::uint8_t>(abi::Proto::kTcp);
  s.datagram = 0;
  return s;
}

Verdict send_on(const SocketInfo& s) {
  return decide(Op::kSend, abi::Direction::kEgress, s, 64);
}

// A manager attached to a real segment of this process, as in the preload.
class PlanManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int err = 0;
    segment = cp::Segment::create(getpid(), "engine-test", "suite=engine", &err);
    ASSERT_TRUE(segment.valid()) << "segment: errno " << err;
    manager.emplace();
    manager->attach(&segment);
    std::string reason;
    client = cp::Client::attach(getpid(), &reason);
    ASSERT_TRUE(client.has_value()) << reason;
    t = now_ns();
  }
  void TearDown() override {
    manager.reset();
    client.reset();
    cp::Segment::unlink(getpid());
  }

  cp::ApplyResult apply(const abi::Command& c) { return manager->apply(c, t); }

  std::vector<cp::EventView> events_of(abi::EventType type) const {
    std::vector<cp::EventView> out;
    for (const cp::EventView& e : client->events(0))
      if (e.type == type) out.push_back(e);
    return out;
  }

  const abi::FaultSlot& slot(int i) const { return segment.faults()[i]; }

  cp::Segment segment;
  std::optional<PlanManager> manager;
  std::optional<cp::Client> client;
  std::int64_t t = 0;
};

TEST_F(PlanManagerTest, ShouldDelayMatchingCallsOnceLatencyIsArmed) {
  const cp::ApplyResult r = apply(inject(latency("lat-1", 5 * kMs)));
  ASSERT_TRUE(r.applied) << r.reason;
  EXPECT_NE(g_mode.load() & kModeArmed, 0u);
  const Verdict v = send_on(udp_peer(9000));
  EXPECT_EQ(v.delay_ns, 5 * kMs);
  EXPECT_EQ(v.fired, 1u);
  EXPECT_FALSE(v.drop);
  EXPECT_EQ(slot(r.fault_slot).hits.load(), 1u);
  EXPECT_EQ(slot(r.fault_slot).matched.load(), 1u);
}

TEST_F(PlanManagerTest, ShouldMirrorArmedFaultIntoTheSegment) {
  const cp::ApplyResult r = apply(inject(latency("lat-mirror", kMs)));
  ASSERT_TRUE(r.applied);
  const std::vector<cp::FaultView> faults = client->faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_STREQ(faults[0].spec.id, "lat-mirror");
  EXPECT_EQ(faults[0].slot, r.fault_slot);
  EXPECT_EQ(faults[0].seed, 42u);
  EXPECT_EQ(faults[0].expires_mono_ns, t + 60 * kSec);
  EXPECT_EQ(events_of(abi::EventType::kFaultArmed).size(), 1u);
}

TEST_F(PlanManagerTest, ShouldReportFirstFireAsAnEvent) {
  ASSERT_TRUE(apply(inject(latency("lat-fire", kMs))).applied);
  for (int i = 0; i < 5; ++i) send_on(udp_peer(9000));
  const auto fired = events_of(abi::EventType::kFaultFired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].fault_id, "lat-fire");
  EXPECT_EQ(fired[0].count, 1u);
}

TEST_F(PlanManagerTest, ShouldDeriveAndReportSeedWhenNoneIsGiven) {
  abi::FaultSpec f = latency("lat-seedless", kMs);
  f.seed = 0;
  const cp::ApplyResult r = apply(inject(f));
  ASSERT_TRUE(r.applied);
  EXPECT_NE(slot(r.fault_slot).seed, 0u);
}

TEST_F(PlanManagerTest, ShouldRejectDuplicateFaultId) {
  ASSERT_TRUE(apply(inject(latency("dup", kMs))).applied);
  const cp::ApplyResult r = apply(inject(latency("dup", 2 * kMs)));
  EXPECT_FALSE(r.applied);
  EXPECT_STREQ(r.reason, "fault id 'dup' already armed");
  EXPECT_EQ(manager->armed_count(), 1);
}

TEST_F(PlanManagerTest, ShouldRejectEmptyFaultId) {
  const cp::ApplyResult r = apply(inject(latency("", kMs)));
  EXPECT_FALSE(r.applied);
  EXPECT_NE(std::strstr(r.reason, "empty"), nullptr) << r.reason;
}

TEST_F(PlanManagerTest, ShouldSupportEveryFaultKindOfTheCatalogue) {
  for (auto k = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
       k < static_cast<std::uint16_t>(abi::FaultKind::kCount); ++k)
    EXPECT_TRUE(PlanManager::supports(static_cast<abi::FaultKind>(k)))
        << cp::fault_kind_name(static_cast<abi::FaultKind>(k));
}

TEST_F(PlanManagerTest, ShouldAcceptTheConnectionFaults) {
  for (const abi::FaultKind kind : {abi::FaultKind::kReset, abi::FaultKind::kBlackhole,
                                    abi::FaultKind::kRefuse, abi::FaultKind::kErrno}) {
    abi::FaultSpec f = latency("conn", 0);
    f.kind = static_cast<std::uint16_t>(kind);
    f.err = kind == abi::FaultKind::kErrno ? ENOBUFS : 0;
    const cp::ApplyResult r = apply(inject(f));
    EXPECT_TRUE(r.applied) << static_cast<int>(kind) << ": " << r.reason;
    apply(by_id(abi::CommandOp::kClear, "conn"));
  }
}

TEST_F(PlanManagerTest, ShouldRejectInvalidFault) {
  abi::FaultSpec f = latency("bad-pct", kMs);
  f.pct_ppm = 2'000'000;
  const cp::ApplyResult r = apply(inject(f));
  EXPECT_FALSE(r.applied);
  EXPECT_NE(std::strstr(r.reason, "pct_ppm"), nullptr) << r.reason;
}

TEST_F(PlanManagerTest, ShouldRejectInjectWhenTheFaultTableIsFull) {
  for (std::uint32_t i = 0; i < abi::kMaxFaults; ++i) {
    const std::string id = "f" + std::to_string(i);
    ASSERT_TRUE(apply(inject(latency(id.c_str(), kMs))).applied) << id;
  }
  const cp::ApplyResult r = apply(inject(latency("one-too-many", kMs)));
  EXPECT_FALSE(r.applied);
  EXPECT_STREQ(r.reason, "fault table full: 32 faults armed");
}

TEST_F(PlanManagerTest, ShouldStopFaultingOnceCleared) {
  const cp::ApplyResult armed = apply(inject(latency("lat-clear", kMs)));
  ASSERT_TRUE(armed.applied);
  const cp::ApplyResult r = apply(by_id(abi::CommandOp::kClear, "lat-clear"));
  ASSERT_TRUE(r.applied) << r.reason;
  EXPECT_EQ(g_mode.load() & kModeArmed, 0u);
  EXPECT_TRUE(send_on(udp_peer(9000)).pass());
  EXPECT_TRUE(client->faults().empty());
  EXPECT_EQ(events_of(abi::EventType::kFaultCleared).size(), 1u);
}

TEST_F(PlanManagerTest, ShouldRejectClearOfUnknownFault) {
  const cp::ApplyResult r = apply(by_id(abi::CommandOp::kClear, "nope"));
  EXPECT_FALSE(r.applied);
  EXPECT_STREQ(r.reason, "no fault 'nope' armed");
}

TEST_F(PlanManagerTest, ShouldClearEveryFaultAtOnce) {
  ASSERT_TRUE(apply(inject(latency("a", kMs))).applied);
  ASSERT_TRUE(apply(inject(loss("b", 500'000))).applied);
  abi::Command all{};
  all.seq = 1;
  all.op = static_cast<std::uint16_t>(abi::CommandOp::kClearAll);
  ASSERT_TRUE(apply(all).applied);
  EXPECT_EQ(manager->armed_count(), 0);
  EXPECT_EQ(g_plan.load(), nullptr);
  EXPECT_EQ(events_of(abi::EventType::kFaultCleared).size(), 2u);
}

TEST_F(PlanManagerTest, ShouldTakeEffectOnlyAfterTheStartDelay) {
  abi::FaultSpec f = latency("lat-after", kMs);
  f.after_ns = kSec;
  ASSERT_TRUE(apply(inject(f)).applied);
  EXPECT_TRUE(send_on(udp_peer(9000)).pass());
  EXPECT_EQ(manager->tick(t + kSec / 2), t + kSec);
  EXPECT_TRUE(send_on(udp_peer(9000)).pass());
  manager->tick(t + kSec);
  EXPECT_FALSE(send_on(udp_peer(9000)).pass());
}

TEST_F(PlanManagerTest, ShouldExpireWhenTimeToLiveEnds) {
  abi::FaultSpec f = latency("lat-ttl", kMs);
  f.for_ns = 100 * kMs;
  ASSERT_TRUE(apply(inject(f)).applied);
  EXPECT_EQ(manager->tick(t + 50 * kMs), t + 100 * kMs);
  EXPECT_FALSE(send_on(udp_peer(9000)).pass());
  EXPECT_EQ(manager->tick(t + 100 * kMs), INT64_MAX);
  EXPECT_TRUE(send_on(udp_peer(9000)).pass());
  const auto expired = events_of(abi::EventType::kFaultExpired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].detail, "ttl");
  EXPECT_EQ(expired[0].fault_id, "lat-ttl");
}

TEST_F(PlanManagerTest, ShouldExpireWhenLeaseIsNotRenewed) {
  abi::FaultSpec f = latency("lat-lease", kMs);
  f.lease_ns = 300 * kMs;
  ASSERT_TRUE(apply(inject(f)).applied);
  manager->tick(t + 300 * kMs);
  EXPECT_EQ(manager->armed_count(), 0);
  const auto expired = events_of(abi::EventType::kFaultExpired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].detail, "lease");
}

TEST_F(PlanManagerTest, ShouldKeepFaultWhileLeaseIsRenewed) {
  abi::FaultSpec f = latency("lat-renewed", kMs);
  f.lease_ns = 300 * kMs;
  ASSERT_TRUE(apply(inject(f)).applied);
  abi::Command renew = by_id(abi::CommandOp::kRenewLease, "");  // all leased faults
  ASSERT_TRUE(manager->apply(renew, t + 200 * kMs).applied);
  EXPECT_EQ(manager->tick(t + 300 * kMs), t + 500 * kMs);
  EXPECT_EQ(manager->armed_count(), 1);
  EXPECT_EQ(client->faults().at(0).expires_mono_ns, t + 500 * kMs);
  renew = by_id(abi::CommandOp::kRenewLease, "lat-renewed");
  renew.lease_ns = kSec;
  ASSERT_TRUE(manager->apply(renew, t + 400 * kMs).applied);
  manager->tick(t + 1000 * kMs);
  EXPECT_EQ(manager->armed_count(), 1);
  manager->tick(t + 1400 * kMs);
  EXPECT_EQ(manager->armed_count(), 0);
}

TEST_F(PlanManagerTest, ShouldFireExactlyMaxHitsTimesAcrossThreads) {
  abi::FaultSpec f = latency("lat-hits", 1);
  f.max_hits = 1000;
  const cp::ApplyResult r = apply(inject(f));
  ASSERT_TRUE(r.applied);
  std::atomic<std::uint64_t> fired{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      std::uint64_t mine = 0;
      for (int k = 0; k < 5000; ++k) mine += send_on(udp_peer(9000)).fired;
      fired.fetch_add(mine);
    });
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(fired.load(), 1000u);
  EXPECT_EQ(slot(r.fault_slot).hits.load(), 1000u);
  EXPECT_EQ(slot(r.fault_slot).matched.load(), 20000u);
  EXPECT_EQ(manager->tick(t + kMs), INT64_MAX);
  const auto expired = events_of(abi::EventType::kFaultExpired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].detail, "max-hits");
}

TEST_F(PlanManagerTest, ShouldPollForMaxHitsWhileSuchFaultIsInEffect) {
  abi::FaultSpec f = latency("lat-poll", 1);
  f.max_hits = 5;
  ASSERT_TRUE(apply(inject(f)).applied);
  EXPECT_EQ(manager->tick(t), t + PlanManager::kMaxHitsPollNs);
}

TEST_F(PlanManagerTest, ShouldAffectAboutPctOfMatchingCallsWithFixedSeed) {
  abi::FaultSpec f = latency("lat-pct", 1);
  f.pct_ppm = 300'000;
  const cp::ApplyResult r = apply(inject(f));
  ASSERT_TRUE(r.applied);
  const int n = 10'000;
  int fired = 0;
  for (int i = 0; i < n; ++i) fired += static_cast<int>(send_on(udp_peer(9000)).fired);
  const double sd = std::sqrt(n * 0.3 * 0.7);
  EXPECT_NEAR(fired, n * 0.3, 5 * sd);
  EXPECT_EQ(slot(r.fault_slot).matched.load(), static_cast<std::uint64_t>(n));
  EXPECT_EQ(slot(r.fault_slot).hits.load(), static_cast<std::uint64_t>(fired));
}

TEST_F(PlanManagerTest, ShouldReplayTheSameDecisionsWithTheSameSeed) {
  abi::FaultSpec f = latency("lat-replay", kMs);
  f.pct_ppm = 500'000;
  f.seed = 7;
  std::vector<bool> first, second;
  ASSERT_TRUE(apply(inject(f)).applied);
  for (int i = 0; i < 200; ++i) first.push_back(!send_on(udp_peer(9000)).pass());
  ASSERT_TRUE(apply(by_id(abi::CommandOp::kClear, "lat-replay")).applied);
  ASSERT_TRUE(apply(inject(f)).applied);
  for (int i = 0; i < 200; ++i) second.push_back(!send_on(udp_peer(9000)).pass());
  EXPECT_EQ(first, second);
}

TEST_F(PlanManagerTest, ShouldDropDatagramsAndStallStreamsOnLoss) {
  abi::FaultSpec f = loss("loss-all", 1'000'000);
  f.rto_ns = 50 * kMs;
  ASSERT_TRUE(apply(inject(f)).applied);
  const Verdict udp = send_on(udp_peer(9000));
  EXPECT_TRUE(udp.drop);
  EXPECT_EQ(udp.stall_ns, 0);
  const Verdict tcp = send_on(tcp_peer(9000));
  EXPECT_FALSE(tcp.drop);
  EXPECT_EQ(tcp.stall_ns, 50 * kMs);
}

TEST_F(PlanManagerTest, ShouldStallByTwoHundredMillisecondsWhenNoRtoIsGiven) {
  ASSERT_TRUE(apply(inject(loss("loss-default-rto", 1'000'000))).applied);
  EXPECT_EQ(send_on(tcp_peer(9000)).stall_ns, kDefaultRtoNs);
  EXPECT_EQ(kDefaultRtoNs, 200 * kMs);
}

TEST_F(PlanManagerTest, ShouldApplyOnlyFaultsWhoseMatchSelectsTheCall) {
  abi::FaultSpec f = latency("lat-port", kMs);
  f.match.dst_port = 9000;
  f.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  ASSERT_TRUE(apply(inject(f)).applied);
  EXPECT_FALSE(send_on(udp_peer(9000)).pass());
  EXPECT_TRUE(send_on(udp_peer(9001)).pass());
  EXPECT_TRUE(send_on(tcp_peer(9000)).pass());
}

TEST_F(PlanManagerTest, ShouldAddUpDelaysOfSeveralFiringFaults) {
  ASSERT_TRUE(apply(inject(latency("a", 2 * kMs))).applied);
  ASSERT_TRUE(apply(inject(latency("b", 3 * kMs))).applied);
  const Verdict v = send_on(udp_peer(9000));
  EXPECT_EQ(v.delay_ns, 5 * kMs);
  EXPECT_EQ(v.fired, 2u);
}

TEST_F(PlanManagerTest, ShouldNotDelayConnectsOrAccepts) {
  ASSERT_TRUE(apply(inject(latency("lat-data-only", kMs))).applied);
  EXPECT_TRUE(decide(Op::kConnect, abi::Direction::kEgress, tcp_peer(80), 0).pass());
  EXPECT_TRUE(decide(Op::kAccept, abi::Direction::kIngress, tcp_peer(80), 0).pass());
}

abi::FaultSpec connection_fault(const char* id, abi::FaultKind kind, std::int32_t err = 0) {
  abi::FaultSpec f = latency(id, 0);
  f.kind = static_cast<std::uint16_t>(kind);
  f.err = err;
  return f;
}

TEST_F(PlanManagerTest, ShouldTellARefusalFromAnInjectedErrno) {
  ASSERT_TRUE(apply(inject(connection_fault("refuse", abi::FaultKind::kRefuse))).applied);
  const Verdict refused = decide(Op::kConnect, abi::Direction::kEgress, tcp_peer(80), 0);
  EXPECT_EQ(refused.err, ECONNREFUSED);
  EXPECT_TRUE(refused.refuse);
  EXPECT_TRUE(decide(Op::kAccept, abi::Direction::kIngress, tcp_peer(80), 0).refuse);
  EXPECT_TRUE(send_on(tcp_peer(80)).pass());  // refuse concerns connections, not data
  apply(by_id(abi::CommandOp::kClear, "refuse"));
  ASSERT_TRUE(apply(inject(connection_fault("errno", abi::FaultKind::kErrno, ENOBUFS))).applied);
  const Verdict failed = decide(Op::kAccept, abi::Direction::kIngress, tcp_peer(80), 0);
  EXPECT_EQ(failed.err, ENOBUFS);
  EXPECT_FALSE(failed.refuse);
  EXPECT_EQ(send_on(tcp_peer(80)).err, ENOBUFS);
}

TEST_F(PlanManagerTest, ShouldResetOnlyTcpDataAndAcceptedConnections) {
  ASSERT_TRUE(apply(inject(connection_fault("reset", abi::FaultKind::kReset))).applied);
  EXPECT_TRUE(send_on(tcp_peer(80)).reset);
  EXPECT_TRUE(decide(Op::kAccept, abi::Direction::kIngress, tcp_peer(80), 0).reset);
  EXPECT_TRUE(decide(Op::kConnect, abi::Direction::kEgress, tcp_peer(80), 0).pass());
  EXPECT_TRUE(send_on(udp_peer(80)).pass());  // a datagram socket has no RST to send
}

TEST_F(PlanManagerTest, ShouldBlackholeDataAndConnectsButNotAccepts) {
  ASSERT_TRUE(apply(inject(connection_fault("hole", abi::FaultKind::kBlackhole))).applied);
  EXPECT_TRUE(send_on(udp_peer(80)).blackhole);
  EXPECT_TRUE(decide(Op::kRecv, abi::Direction::kIngress, tcp_peer(80), 10).blackhole);
  EXPECT_TRUE(decide(Op::kConnect, abi::Direction::kEgress, tcp_peer(80), 0).blackhole);
  EXPECT_TRUE(decide(Op::kAccept, abi::Direction::kIngress, tcp_peer(80), 0).pass());
}

TEST_F(PlanManagerTest, ShouldKeepTheConnectionMarksBitWhenThePlanChanges) {
  g_mode.fetch_or(conn::kModeConnections);
  ASSERT_TRUE(apply(inject(latency("lat-marks", kMs))).applied);
  EXPECT_NE(g_mode.load() & conn::kModeConnections, 0u);
  apply(by_id(abi::CommandOp::kClear, "lat-marks"));
  EXPECT_EQ(g_mode.load(), conn::kModeConnections);
  g_mode.fetch_and(~conn::kModeConnections);
}

TEST_F(PlanManagerTest, ShouldTurnTelemetryOnAndOffByCommand) {
  abi::Command on{};
  on.seq = 1;
  on.op = static_cast<std::uint16_t>(abi::CommandOp::kTelemetry);
  on.flags = 1;
  ASSERT_TRUE(apply(on).applied);
  EXPECT_NE(g_mode.load() & kModeTelemetry, 0u);
  EXPECT_EQ(segment.telemetry()->enabled.load(), 1u);
  abi::Command off = on;
  off.flags = 0;
  ASSERT_TRUE(apply(off).applied);
  EXPECT_EQ(g_mode.load(), 0u);
  EXPECT_EQ(segment.telemetry()->enabled.load(), 0u);
}

TEST_F(PlanManagerTest, ShouldGoBackToPassThroughWhenDetached) {
  ASSERT_TRUE(apply(inject(latency("lat-detach", kMs))).applied);
  manager->detach();
  EXPECT_EQ(g_mode.load(), 0u);
  EXPECT_TRUE(send_on(udp_peer(9000)).pass());
  EXPECT_FALSE(apply(inject(latency("late", kMs))).applied);
}

TEST_F(PlanManagerTest, ShouldForgetTheParentsFaultsInAForkChild) {
  ASSERT_TRUE(apply(inject(latency("lat-parent", kMs))).applied);
  manager->reset_in_child();
  EXPECT_EQ(g_mode.load(), 0u);
  EXPECT_EQ(g_plan.load(), nullptr);
  EXPECT_EQ(manager->armed_count(), 0);
  // The child then attaches its own segment and works as usual.
  manager->attach(&segment);
  ASSERT_TRUE(apply(inject(latency("lat-child", kMs))).applied);
  EXPECT_FALSE(send_on(udp_peer(9000)).pass());
}

TEST_F(PlanManagerTest, ShouldForgetConnectionMarksInAForkChild) {
  ASSERT_TRUE(conn::set_reset(5));
  ASSERT_EQ(conn::mark(5), conn::Mark::kReset);
  ASSERT_NE(g_mode.load() & conn::kModeConnections, 0u);
  manager->reset_in_child();
  EXPECT_EQ(conn::mark(5), conn::Mark::kNone);
  EXPECT_EQ(g_mode.load(), 0u);
  // Marking works again in the child (its lock is usable) and keeps the mode in step.
  ASSERT_TRUE(conn::set_reset(5));
  EXPECT_EQ(g_mode.load(), conn::kModeConnections);
  conn::clear(5);
  EXPECT_EQ(g_mode.load(), 0u);
}

TEST(PlanManagerWithoutSegment, ShouldMirrorFaultsArmedBeforeTheSegmentWasAttached) {
  int err = 0;
  cp::Segment segment = cp::Segment::create(getpid(), "engine-test", "", &err);
  ASSERT_TRUE(segment.valid());
  {
    PlanManager manager;
    ASSERT_TRUE(manager.apply(inject(latency("early", kMs)), now_ns()).applied);
    EXPECT_FALSE(send_on(udp_peer(9000)).pass());
    manager.attach(&segment);
    const abi::FaultSlot& s = segment.faults()[0];
    EXPECT_EQ(s.active, 1u);
    EXPECT_STREQ(s.spec.id, "early");
    EXPECT_EQ(s.hits.load(), 1u);
  }
  cp::Segment::unlink(getpid());
}

}  // namespace
}  // namespace faultline::shim
