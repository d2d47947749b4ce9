// The target's apply thread end to end: a tool submits through Client, the
// thread validates, calls the handler and acknowledges.
#include "faultline/controlplane/target.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "faultline/controlplane/client.h"
#include "faultline/testing/segment_gc_lock.h"
#include "test_support.h"

namespace faultline::cp {
namespace {

using namespace std::chrono_literals;
using testing::Child;
using testing::kHangGuard;
using testing::latency_spec;
using testing::Pipe;
using testing::wait_until;

// Applies everything except a fault named "reject-me"; can ask for ticks.
class RecordingHandler : public CommandHandler {
 public:
  ApplyResult apply(const abi::Command& cmd, std::int64_t now_mono_ns) noexcept override {
    while (hold.load()) std::this_thread::sleep_for(100us);
    applied.fetch_add(1);
    last_now.store(now_mono_ns);
    last_op.store(cmd.op);
    if (cmd.op == static_cast<std::uint16_t>(abi::CommandOp::kClearAll)) clear_alls.fetch_add(1);
    ApplyResult r;
    if (cmd.op == static_cast<std::uint16_t>(abi::CommandOp::kInject) &&
        std::strcmp(cmd.fault.id, "reject-me") == 0) {
      std::strcpy(r.reason, "test says no");
      return r;
    }
    r.applied = true;
    r.fault_slot = 3;
    return r;
  }
  std::int64_t tick(std::int64_t now_mono_ns) noexcept override {
    ticks.fetch_add(1);
    const std::int64_t every = tick_every_ns.load();
    return every > 0 ? now_mono_ns + every : INT64_MAX;
  }
  std::atomic<int> applied{0}, ticks{0}, clear_alls{0};
  std::atomic<std::int64_t> last_now{0}, tick_every_ns{0};
  std::atomic<std::uint16_t> last_op{0};
  std::atomic<bool> hold{false};  // apply waits while set
};

class TargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(target.start("cp-test", "app=test", &handler));
    std::string reason;
    auto c = Client::attach(getpid(), &reason);
    ASSERT_TRUE(c.has_value()) << reason;
    client.emplace(std::move(*c));
  }
  void TearDown() override { target.stop(); }

  AckResult request(const abi::Command& cmd) { return client->request(cmd, kHangGuard); }

  RecordingHandler handler;
  Target target;
  std::optional<Client> client;
};

TEST_F(TargetTest, ShouldAcknowledgeAnAppliedCommandWithItsApplyTime) {
  const AckResult ack = request(make_inject(latency_spec()));
  EXPECT_EQ(ack.status, abi::AckStatus::kApplied) << ack.reason;
  EXPECT_EQ(ack.fault_slot, 3);
  EXPECT_GT(ack.apply_ns, 0);
  EXPECT_GT(ack.applied_mono_ns, 0);
  EXPECT_TRUE(ack.reason.empty());
  EXPECT_EQ(handler.applied.load(), 1);
  EXPECT_EQ(handler.last_op.load(), static_cast<std::uint16_t>(abi::CommandOp::kInject));
}

TEST_F(TargetTest, ShouldReportTheHandlersRejectionReason) {
  const AckResult ack = request(make_inject(latency_spec("reject-me")));
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "test says no");
  EXPECT_EQ(ack.fault_slot, -1);
}

TEST_F(TargetTest, ShouldRejectABadEnumWithoutCallingTheHandler) {
  abi::FaultSpec spec = latency_spec();
  spec.match.proto = 9;
  const AckResult ack = request(make_inject(spec));
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "match.proto: 9, expected 0..3");
  EXPECT_EQ(handler.applied.load(), 0);
}

TEST_F(TargetTest, ShouldRejectAnUnterminatedStringWithoutCallingTheHandler) {
  abi::FaultSpec spec = latency_spec();
  std::memset(spec.match.db, 'x', sizeof(spec.match.db));
  const AckResult ack = request(make_inject(spec));
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "match.db: not NUL-terminated within 64 bytes");
  EXPECT_EQ(handler.applied.load(), 0);
}

TEST_F(TargetTest, ShouldLogAnUnterminatedTargetIdCutToTheEventsField) {
  abi::Command cmd = make_clear("x");
  std::memset(cmd.target_id, 'q', sizeof(cmd.target_id));
  const AckResult ack = request(cmd);
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "target_id: not NUL-terminated within 32 bytes");
  const std::vector<EventView> events = client->events(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].fault_id, std::string(abi::kIdLen - 1, 'q'));
  EXPECT_EQ(handler.applied.load(), 0);
}

TEST_F(TargetTest, ShouldRejectAnUnknownOpWithoutCallingTheHandler) {
  abi::Command cmd = make_clear_all();
  cmd.op = 77;
  const AckResult ack = request(cmd);
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "op: 77 is not a command (1..5)");
  EXPECT_EQ(handler.applied.load(), 0);
}

TEST_F(TargetTest, ShouldWakeAToolSleepingOnTheAckBell) {
  abi::Header& h = *client->segment().header();
  handler.hold.store(true);
  AckResult ack;
  std::thread tool([&] { ack = request(make_clear_all()); });
  // The tool announces its sleep; the bell has not rung while the command is held.
  const std::uint32_t bell = h.ack_bell.load();
  EXPECT_TRUE(wait_until([&] { return h.ack_sleepers.load() == 1; }));
  EXPECT_EQ(h.ack_bell.load(), bell);
  handler.hold.store(false);
  tool.join();
  EXPECT_EQ(ack.status, abi::AckStatus::kApplied) << ack.reason;
  EXPECT_EQ(h.ack_bell.load(), bell + 1);
  EXPECT_EQ(h.ack_sleepers.load(), 0u);
}

// The kernel's sched_attr (SCHED_ATTR_SIZE_VER1).
struct SchedAttr {
  std::uint32_t size, policy;
  std::uint64_t flags;
  std::int32_t nice;
  std::uint32_t priority;
  std::uint64_t runtime, deadline, period;
  std::uint32_t util_min, util_max;
};

// The slice the scheduler keeps for thread `tid`, or -1 if it cannot tell.
std::int64_t slice_of(pid_t tid) {
  SchedAttr a{};
  if (syscall(SYS_sched_getattr, tid, &a, sizeof a, 0) != 0) return -1;
  return static_cast<std::int64_t>(a.runtime);
}

// The apply thread's id: the thread of this process named "faultline".
pid_t apply_thread_tid() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  pid_t found = -1;
  while (dirent* e = readdir(dir)) {
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "faultline") found = static_cast<pid_t>(std::atoi(e->d_name));
  }
  closedir(dir);
  return found;
}

TEST_F(TargetTest, ShouldRunTheApplyThreadWithAShortSchedulerSlice) {
  // A kernel without custom slices (before 6.12) reports 0 for a SCHED_OTHER thread.
  const std::int64_t mine = slice_of(static_cast<pid_t>(syscall(SYS_gettid)));
  if (mine <= 0) GTEST_SKIP() << "the kernel reports no slice of SCHED_OTHER threads";
  ASSERT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);  // the thread runs
  const pid_t tid = apply_thread_tid();
  ASSERT_GT(tid, 0);
  EXPECT_EQ(slice_of(tid), 100'000);
  EXPECT_NE(mine, 100'000);  // only the apply thread asked
}

TEST_F(TargetTest, ShouldCountAppliedAndRejectedCommandsInTelemetry) {
  ASSERT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);
  ASSERT_EQ(request(make_telemetry(true)).status, abi::AckStatus::kApplied);
  ASSERT_EQ(request(make_clear("")).status, abi::AckStatus::kRejected);
  const TelemetrySnapshot t = client->telemetry();
  EXPECT_EQ(t.commands_applied, 2u);
  EXPECT_EQ(t.commands_rejected, 1u);
}

TEST_F(TargetTest, ShouldLogARejectedCommandAsAnEvent) {
  ASSERT_EQ(request(make_inject(latency_spec("reject-me"))).status, abi::AckStatus::kRejected);
  const std::vector<EventView> events = client->events(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, abi::EventType::kCommandRejected);
  EXPECT_EQ(events[0].fault_id, "reject-me");
  EXPECT_EQ(events[0].detail, "test says no");
}

TEST_F(TargetTest, ShouldClearEverythingOnTheEmergencyPathWhenTheRingIsFull) {
  handler.hold.store(true);  // the apply thread sticks in the first command
  int pushed = 0;
  while (client->submit(make_inject(latency_spec())) != 0) ASSERT_LT(++pushed, 10'000);
  client->emergency_clear();  // no ring slot needed
  handler.hold.store(false);
  EXPECT_TRUE(wait_until([&] { return handler.clear_alls.load() == 1; }));
  EXPECT_EQ(client->header().emergency_clear.load(), 0u);  // taken, not pending again
}

TEST_F(TargetTest, ShouldClearEverythingOnTheEmergencyPathAsSoonAsItIsAsked) {
  ASSERT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);  // the thread sleeps again
  client->emergency_clear();
  EXPECT_TRUE(wait_until([&] { return handler.clear_alls.load() == 2; }));
}

TEST_F(TargetTest, ShouldTickAgainAtTheHandlersDeadlineWithoutADoorbell) {
  handler.tick_every_ns.store(1'000'000);
  ASSERT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);  // wakes the thread once
  const int after_command = handler.ticks.load();
  EXPECT_TRUE(wait_until([&] { return handler.ticks.load() >= after_command + 5; }));
}

TEST_F(TargetTest, ShouldRefreshTheHeartbeatWhenWoken) {
  const std::int64_t before = client->header().heartbeat_mono_ns.load();
  ASSERT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);
  EXPECT_TRUE(wait_until([&] { return client->header().heartbeat_mono_ns.load() > before; }));
}

TEST_F(TargetTest, ShouldApplyCommandsFromSeveralToolThreads) {
  // Fewer commands than ack slots: no slot is reused, every ack is read.
  constexpr int kThreads = 4, kEach = static_cast<int>(abi::kAckSlots) / 4 - 1;
  std::vector<std::thread> tools;
  std::atomic<int> applied{0};
  for (int t = 0; t < kThreads; ++t)
    tools.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        if (client->request(make_clear_all(), kHangGuard).status == abi::AckStatus::kApplied)
          applied.fetch_add(1);
    });
  for (auto& th : tools) th.join();
  EXPECT_EQ(applied.load(), kThreads * kEach);
  EXPECT_EQ(handler.applied.load(), kThreads * kEach);
}

TEST_F(TargetTest, ShouldAnswerEveryToolEvenWhenAckSlotsAreReused) {
  // Many more commands than ack slots: a tool descheduled long enough may
  // find its ack replaced ("overwritten"), but none waits in vain.
  constexpr int kThreads = 4, kEach = 3 * static_cast<int>(abi::kAckSlots);
  std::vector<std::thread> tools;
  std::atomic<int> applied{0}, lost{0};
  for (int t = 0; t < kThreads; ++t)
    tools.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        const AckResult r = client->request(make_clear_all(), kHangGuard);
        if (r.status == abi::AckStatus::kApplied)
          applied.fetch_add(1);
        else if (r.reason.find("overwritten") != std::string::npos)
          lost.fetch_add(1);
      }
    });
  for (auto& th : tools) th.join();
  EXPECT_EQ(applied.load() + lost.load(), kThreads * kEach);
  EXPECT_EQ(handler.applied.load(), kThreads * kEach);
}

TEST_F(TargetTest, ShouldNotReplaceALaterCommandsAckWithAnEarlierOne) {
  // As if commands 2..129 were acknowledged while the tool holding seq 1
  // had not pushed yet: slot 1 holds 129's ack, unread.
  abi::Ack& slot = client->segment().acks()[1];
  slot.status = static_cast<std::uint32_t>(abi::AckStatus::kApplied);
  slot.seq.store(1 + abi::kAckSlots);
  client->segment().header()->next_seq.store(0);  // the next submit takes seq 1
  const AckResult late = request(make_clear_all());
  EXPECT_EQ(late.status, abi::AckStatus::kPending);
  EXPECT_NE(late.reason.find("overwritten"), std::string::npos) << late.reason;
  // Command 1 was applied all the same; once command 2 is acknowledged, the
  // thread is past command 1 and slot 1 must still hold 129's ack.
  EXPECT_EQ(request(make_clear_all()).status, abi::AckStatus::kApplied);
  EXPECT_EQ(handler.applied.load(), 2);
  EXPECT_EQ(slot.seq.load(), 1 + abi::kAckSlots);
}

TEST_F(TargetTest, ShouldBeAliveUntilStoppedAndUnlinkOnStop) {
  EXPECT_TRUE(wait_until([&] { return client->alive(); }));
  target.stop();
  EXPECT_FALSE(target.running());
  EXPECT_FALSE(client->alive());
  std::string reason;
  EXPECT_FALSE(Segment::open(getpid(), &reason).valid());
  EXPECT_NE(reason.find("no faultline target"), std::string::npos) << reason;
}

TEST_F(TargetTest, ShouldRefuseASecondStart) {
  EXPECT_FALSE(target.start("again", "", &handler));
  EXPECT_TRUE(target.running());
}

// The apply thread's name and signal mask, from /proc.
std::string apply_thread_status() {
  DIR* dir = opendir("/proc/self/task");
  std::string found;
  while (dir != nullptr && found.empty()) {
    const dirent* d = readdir(dir);
    if (d == nullptr) break;
    if (d->d_name[0] == '.') continue;
    const std::string task = std::string("/proc/self/task/") + d->d_name;
    std::string comm;
    std::getline(std::ifstream(task + "/comm"), comm);
    if (comm != "faultline") continue;
    std::ifstream status(task + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("SigBlk:", 0) == 0) found = line.substr(7);
  }
  if (dir != nullptr) closedir(dir);
  return found;
}

TEST_F(TargetTest, ShouldRunANamedApplyThreadWithApplicationSignalsBlocked) {
  const std::string blocked = apply_thread_status();
  ASSERT_FALSE(blocked.empty()) << "no thread named faultline";
  const std::uint64_t mask = std::stoull(blocked, nullptr, 16);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD, SIGHUP, SIGRTMIN + 1})
    EXPECT_NE(mask & (1ULL << (sig - 1)), 0u) << "signal " << sig;
}

TEST(Target, ShouldRejectEverythingWithoutAHandler) {
  Target target;
  ASSERT_TRUE(target.start("cp-test", "", nullptr));
  std::string reason;
  auto client = Client::attach(getpid(), &reason);
  ASSERT_TRUE(client.has_value()) << reason;
  const AckResult ack = client->request(make_inject(latency_spec()), kHangGuard);
  EXPECT_EQ(ack.status, abi::AckStatus::kRejected);
  EXPECT_EQ(ack.reason, "no handler");
}

TEST(Target, ShouldGiveAForkChildItsOwnSegment) {
#if defined(__SANITIZE_THREAD__)
  // TSan keeps the parent's apply thread registered in the child, and glibc
  // hands the child's new thread the same reclaimed stack, hence the same
  // id: TSan aborts ("dup thread"). It does not support threads started
  // after a multi-threaded fork; the normal and ASan builds run this test.
  GTEST_SKIP() << "ThreadSanitizer does not support threads after a multi-threaded fork";
#endif
  RecordingHandler handler;
  Target target;
  ASSERT_TRUE(target.start("parent", "", &handler));
  const pid_t parent = getpid();
  Pipe ready, go;
  Child child([&] {
    target.restart_in_child("child", "side=child");
    if (!target.running() || target.segment().pid() != getpid()) return 1;
    ready.send('y');
    go.receive();
    target.stop();
    return handler.applied.load() == 1 ? 0 : 2;  // the child's copy of the handler saw one command
  });
  ready.close_write();  // a child that dies reads as end of file, not a hang
  ASSERT_EQ(ready.receive(), 'y');

  std::string reason;
  auto in_child = Client::attach(child.pid(), &reason);
  ASSERT_TRUE(in_child.has_value()) << reason;
  EXPECT_STREQ(in_child->header().program, "child");
  EXPECT_STREQ(in_child->header().labels, "side=child");
  EXPECT_EQ(in_child->request(make_clear_all(), kHangGuard).status, abi::AckStatus::kApplied);

  // The parent's segment and thread are untouched.
  auto in_parent = Client::attach(parent, &reason);
  ASSERT_TRUE(in_parent.has_value()) << reason;
  EXPECT_STREQ(in_parent->header().program, "parent");
  EXPECT_EQ(in_parent->request(make_clear_all(), kHangGuard).status, abi::AckStatus::kApplied);
  EXPECT_EQ(handler.applied.load(), 1);

  go.send('x');
  EXPECT_EQ(child.wait(), 0);
  EXPECT_FALSE(in_child->alive());
  EXPECT_TRUE(in_parent->alive());
}

TEST(Client, ShouldRefuseToAttachToTheSegmentOfADeadProcess) {
  const faultline::testing::SegmentGcLock gc_lock;
  Pipe ready;
  Child dead([&] {
    int err = 0;
    Segment seg = Segment::create(getpid(), "dead", "", &err);
    ready.send(seg.valid() ? 'y' : 'n');
    return 0;
  });
  ready.close_write();
  ASSERT_EQ(ready.receive(), 'y');
  dead.wait();
  std::string reason;
  EXPECT_FALSE(Client::attach(dead.pid(), &reason).has_value());
  EXPECT_EQ(reason, "pid " + std::to_string(dead.pid()) + " is not running (stale segment " +
                        segment_path(dead.pid()) + "; `faultline ps --gc` removes it)");
  Segment::unlink(dead.pid());
}

}  // namespace
}  // namespace faultline::cp
