// Creating, opening, listing and garbage-collecting segments.
#include "faultline/controlplane/segment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "faultline/testing/segment_gc_lock.h"
#include "test_support.h"

namespace faultline::cp {
namespace {

using testing::Child;
using testing::Pipe;
using testing::ScopedSegment;

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// A pid with no process and no segment: a child that has been reaped.
pid_t reaped_pid() {
  Child c([] { return 0; });
  c.wait();
  return c.pid();
}

const SegmentInfo* find(const std::vector<SegmentInfo>& infos, pid_t pid) {
  auto it = std::find_if(infos.begin(), infos.end(), [pid](const SegmentInfo& i) { return i.pid == pid; });
  return it == infos.end() ? nullptr : &*it;
}

TEST(Segment, ShouldCreateOwnerOnlySegmentWithItsIdentity) {
  ScopedSegment s(getpid(), "order-service", "app=orders,zone=a");
  ASSERT_TRUE(s.segment.valid()) << s.error;
  struct stat st {};
  ASSERT_EQ(stat(segment_path(getpid()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), abi::kSegmentSize);
  const abi::Header& h = *s.segment.header();
  EXPECT_EQ(h.magic, abi::kMagic);
  EXPECT_EQ(h.abi_version.load(), abi::kAbiVersion);
  EXPECT_EQ(h.pid, getpid());
  EXPECT_EQ(h.uid, geteuid());
  EXPECT_STREQ(h.program, "order-service");
  EXPECT_STREQ(h.labels, "app=orders,zone=a");
  EXPECT_GT(h.start_mono_ns, 0);
  EXPECT_GT(h.start_wall_ns, 0);
  EXPECT_TRUE(s.segment.linked());
}

TEST(Segment, ShouldTruncateLongProgramAndLabels) {
  const std::string long_name(300, 'p');
  const std::string long_labels(1000, 'l');
  ScopedSegment s(getpid(), long_name.c_str(), long_labels.c_str());
  ASSERT_TRUE(s.segment.valid());
  EXPECT_EQ(std::string(s.segment.header()->program), long_name.substr(0, abi::kProgramLen - 1));
  EXPECT_EQ(std::string(s.segment.header()->labels), long_labels.substr(0, abi::kLabelsLen - 1));
}

TEST(Segment, ShouldReplaceAStaleSegmentOfTheSamePid) {
  ScopedSegment first;
  ASSERT_TRUE(first.segment.valid());
  ScopedSegment second;
  ASSERT_TRUE(second.segment.valid()) << second.error;
  EXPECT_FALSE(first.segment.linked());
  EXPECT_TRUE(second.segment.linked());
}

TEST(Segment, ShouldOpenAPublishedSegment) {
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  std::string reason;
  Segment opened = Segment::open(getpid(), &reason);
  ASSERT_TRUE(opened.valid()) << reason;
  EXPECT_EQ(opened.pid(), getpid());
  EXPECT_STREQ(opened.header()->program, "cp-test");
  EXPECT_TRUE(opened.linked());
}

TEST(Segment, ShouldNameTheMissingSegmentOfAnUnknownPid) {
  const pid_t pid = reaped_pid();
  std::string reason;
  EXPECT_FALSE(Segment::open(pid, &reason).valid());
  EXPECT_EQ(reason,
            "no faultline target with pid " + std::to_string(pid) + " (no " + segment_path(pid) + ")");
}

class CorruptHeader : public ::testing::Test {
 protected:
  std::string open_reason() {
    std::string reason;
    EXPECT_FALSE(Segment::open(getpid(), &reason).valid());
    return reason;
  }
  ScopedSegment s;
  abi::Header& h = *s.segment.header();
  const std::string path = segment_path(getpid());
};

TEST_F(CorruptHeader, ShouldRefuseBadMagic) {
  h.magic = 0x1122334455667788ULL;
  EXPECT_EQ(open_reason(), path +
                               ": bad magic 0x1122334455667788, expected 0x31454e494c544c46 (not a faultline "
                               "segment)");
}

TEST_F(CorruptHeader, ShouldRefuseAnotherAbiVersion) {
  h.abi_version.store(abi::kAbiVersion + 1);
  EXPECT_EQ(open_reason(), path + ": ABI version " + std::to_string(abi::kAbiVersion + 1) +
                               ", this faultline speaks " + std::to_string(abi::kAbiVersion));
}

TEST_F(CorruptHeader, ShouldRefuseAnotherLayoutHash) {
  h.layout_hash ^= 1;
  const std::string reason = open_reason();
  EXPECT_EQ(reason.rfind(path + ": layout hash 0x", 0), 0u) << reason;
  EXPECT_NE(reason.find("rebuild them together"), std::string::npos) << reason;
}

TEST_F(CorruptHeader, ShouldRefuseAnUnpublishedSegment) {
  h.abi_version.store(0);
  EXPECT_EQ(open_reason(), path + ": not initialised yet (the target may still be starting)");
}

TEST_F(CorruptHeader, ShouldRefuseAnotherHeaderSize) {
  h.header_size = 640;
  EXPECT_EQ(open_reason(), path + ": header size 640, expected 704");
}

TEST_F(CorruptHeader, ShouldRefuseASegmentNamingAnotherPid) {
  h.pid = 1;
  EXPECT_EQ(open_reason(), path + ": header names pid 1, expected " + std::to_string(getpid()));
}

TEST_F(CorruptHeader, ShouldRefuseATruncatedFile) {
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  EXPECT_NE(open_reason().find("100 bytes, too small for a faultline header"), std::string::npos);
}

TEST(Segment, ShouldRefuseAnotherUsersSegment) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as a second user";
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  const pid_t owner = getpid();
  Child other([&] {
    if (setgid(65534) != 0 || setuid(65534) != 0) return 3;
    std::string reason;
    if (Segment::open(owner, &reason).valid()) return 1;
    return reason == "segment " + segment_path(owner) + " belongs to uid 0; run as that user or root" ? 0 : 2;
  });
  EXPECT_EQ(other.wait(), 0);
}

TEST(ProcessProbe, ShouldSeeItselfAlive) {
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  EXPECT_TRUE(target_process_alive(getpid(), s.segment.header()->start_mono_ns));
  EXPECT_TRUE(target_process_alive(getpid(), 0));
}

TEST(ProcessProbe, ShouldSeeAReapedChildDead) {
  EXPECT_FALSE(target_process_alive(reaped_pid(), 0));
}

TEST(ProcessProbe, ShouldSeeAZombieDead) {
  Child zombie([] { return 0; });
  siginfo_t info{};
  // Waits for the exit without reaping: the child stays a zombie.
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(zombie.pid()), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(target_process_alive(zombie.pid(), 0));
}

TEST(ProcessProbe, ShouldSeeASegmentOlderThanItsProcessAsAReusedPid) {
  Pipe go;
  Child live([&] { return go.receive() == 'x' ? 0 : 1; });
  // Created now, after the child started: consistent with the child.
  ScopedSegment s(live.pid());
  ASSERT_TRUE(s.segment.valid());
  EXPECT_TRUE(target_process_alive(live.pid(), s.segment.header()->start_mono_ns));
  // Created long before the child started: the pid must have been reused.
  EXPECT_FALSE(target_process_alive(live.pid(), 1));
  go.send('x');
  EXPECT_EQ(live.wait(), 0);
}

TEST(SegmentGc, ShouldRemoveADeadChildsSegmentAndKeepALiveOne) {
  const faultline::testing::SegmentGcLock gc_lock;
  Pipe dead_ready, live_ready, go;
  Child dead([&] {
    int err = 0;
    Segment seg = Segment::create(getpid(), "dead", "", &err);
    dead_ready.send(seg.valid() ? 'y' : 'n');
    return 0;  // exits without unlinking, as a crashed target would
  });
  dead_ready.close_write();  // a child that dies reads as end of file, not a hang
  ASSERT_EQ(dead_ready.receive(), 'y');
  ASSERT_EQ(dead.wait(), 0);
  Child live([&] {
    int err = 0;
    Segment seg = Segment::create(getpid(), "live", "", &err);
    live_ready.send(seg.valid() ? 'y' : 'n');
    go.receive();
    Segment::unlink(getpid());
    return 0;
  });
  live_ready.close_write();
  ASSERT_EQ(live_ready.receive(), 'y');

  const std::vector<SegmentInfo> before = list_segments();
  const SegmentInfo* dead_info = find(before, dead.pid());
  const SegmentInfo* live_info = find(before, live.pid());
  ASSERT_NE(dead_info, nullptr);
  ASSERT_NE(live_info, nullptr);
  EXPECT_FALSE(dead_info->alive);
  EXPECT_TRUE(live_info->alive);
  EXPECT_TRUE(live_info->compatible) << live_info->reason;
  EXPECT_TRUE(live_info->owned);
  EXPECT_EQ(live_info->path, segment_path(live.pid()));

  EXPECT_GE(gc_dead_segments(), 1);
  EXPECT_FALSE(exists(segment_path(dead.pid())));
  EXPECT_TRUE(exists(segment_path(live.pid())));
  go.send('x');
  EXPECT_EQ(live.wait(), 0);
}

TEST(SegmentGc, ShouldRemoveTheSegmentOfAReusedPid) {
  const faultline::testing::SegmentGcLock gc_lock;
  Pipe go;
  Child live([&] { return go.receive() == 'x' ? 0 : 1; });
  ScopedSegment s(live.pid());
  ASSERT_TRUE(s.segment.valid());
  s.segment.header()->start_mono_ns = 1;  // as if created by an earlier process with this pid
  const SegmentInfo* info = nullptr;
  const std::vector<SegmentInfo> infos = list_segments();
  info = find(infos, live.pid());
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(info->alive);
  EXPECT_GE(gc_dead_segments(), 1);
  EXPECT_FALSE(exists(segment_path(live.pid())));
  go.send('x');
  EXPECT_EQ(live.wait(), 0);
}

TEST(SegmentList, ShouldReportAnIncompatibleSegmentWithItsReason) {
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  s.segment.header()->abi_version.store(7);
  const std::vector<SegmentInfo> infos = list_segments();
  const SegmentInfo* info = find(infos, getpid());
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->alive);
  EXPECT_FALSE(info->compatible);
  EXPECT_EQ(info->reason, segment_path(getpid()) + ": ABI version 7, this faultline speaks " +
                              std::to_string(abi::kAbiVersion));
}

}  // namespace
}  // namespace faultline::cp
