// A segment is the process's window to its controllers, never a way to hurt
// it: deleted, overwritten with garbage or truncated, the process keeps
// working in pass-through and the CLI refuses the corrupt segment with a
// clear message. A segment lives as long as its process: gone after a
// normal exit, left behind by SIGKILL until `faultline ps --gc`.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <stdexcept>
#include <thread>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"
#include "faultline/testing/segment_gc_lock.h"
#include "faultline/testing/targets.h"
#include "integration_support.h"
#include "robustness_support.h"

namespace faultline::robustness {
namespace {

// Wakes the target's apply thread as a tool does after pushing a command,
// so it looks at its segment now rather than at its next heartbeat.
void ring_doorbell(pid_t pid) {
  const int fd = ::open(cp::segment_path(pid).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  ASSERT_NE(page, MAP_FAILED);
  auto* doorbell = static_cast<char*>(page) + offsetof(abi::Header, doorbell);
  ::syscall(SYS_futex, doorbell, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  ::munmap(page, 4096);
}

// Garbage over the whole segment, in place: the target's mapping sees it.
void overwrite_in_place(pid_t pid, std::uint64_t seed) {
  const int fd = ::open(cp::segment_path(pid).c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string garbage = seeded_bytes(abi::kSegmentSize, seed);
  EXPECT_EQ(::pwrite(fd, garbage.data(), garbage.size(), 0), static_cast<ssize_t>(garbage.size()));
  ::close(fd);
}

std::size_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

// Still running (not exited, not killed by a signal) and still echoing.
void expect_serving(integration::EchoServer& server) {
  EXPECT_FALSE(server.process.wait(0ms).has_value()) << "the target died";
  const integration::Pings p = integration::udp_ping(server.port, 10);
  EXPECT_EQ(p.received, 10u);
  EXPECT_EQ(p.mismatches, 0u);
}

void expect_clean_exit(integration::EchoServer& server) {
  const pid_t pid = server.process.pid();
  EXPECT_EQ(server.stop_and_count(), 20u);  // every ping before and after the damage
  EXPECT_FALSE(testing::segment_exists(pid));
}

TEST(CorruptSegment, ShouldKeepServingWhenTheSegmentIsDeleted) {
  integration::EchoServer server = integration::start_echo("udp_echo");
  EXPECT_EQ(integration::udp_ping(server.port, 10).received, 10u);
  cp::Segment::unlink(server.process.pid());
  std::this_thread::sleep_for(1100ms);  // past one heartbeat of the apply thread
  expect_serving(server);
  expect_clean_exit(server);
}

TEST(CorruptSegment, ShouldKeepServingWhenTheSegmentIsOverwrittenWithGarbage) {
  integration::EchoServer server = integration::start_echo("udp_echo");
  EXPECT_EQ(integration::udp_ping(server.port, 10).received, 10u);
  overwrite_in_place(server.process.pid(), 1);
  ring_doorbell(server.process.pid());  // the apply thread looks at the garbage ring now
  std::this_thread::sleep_for(200ms);
  expect_serving(server);
  overwrite_in_place(server.process.pid(), 2);
  ring_doorbell(server.process.pid());
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(server.process.wait(0ms).has_value()) << "the target died";
  expect_clean_exit(server);
}

TEST(CorruptSegment, ShouldKeepServingWhenTheSegmentIsTruncatedAndRewritten) {
  integration::EchoServer server = integration::start_echo("udp_echo");
  EXPECT_EQ(integration::udp_ping(server.port, 10).received, 10u);
  const std::string path = cp::segment_path(server.process.pid());
  write_file(path, "garbage\n", 0600);  // what `echo garbage > segment` does
  ring_doorbell(server.process.pid());
  // The target grows the file back, so no page it maps is cut off.
  EXPECT_TRUE(wait_until([&] { return file_size(path) == abi::kSegmentSize; }, 5s));
  expect_serving(server);
  expect_clean_exit(server);
}

// The descriptors in a process's table that name `path`.
int descriptors_naming(pid_t pid, const std::string& path) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  while (d != nullptr) {
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    char target[256];
    const ssize_t len = ::readlinkat(::dirfd(d), e->d_name, target, sizeof target - 1);
    if (len > 0 && std::string(target, static_cast<std::size_t>(len)) == path) ++n;
  }
  if (d != nullptr) ::closedir(d);
  return n;
}

TEST(CorruptSegment, ShouldKeepServingWhenTheSegmentIsEmptied) {
  integration::EchoServer server = integration::start_echo("udp_echo");
  EXPECT_EQ(integration::udp_ping(server.port, 10).received, 10u);
  const std::string path = cp::segment_path(server.process.pid());
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);  // `: > segment`; the next heartbeat finds it
  EXPECT_TRUE(wait_until([&] { return file_size(path) == abi::kSegmentSize; }, 5s));
  // The apply thread grew it back through a descriptor of its own table:
  // none of the host's names the segment.
  EXPECT_EQ(descriptors_naming(server.process.pid(), path), 0);
  expect_serving(server);
  expect_clean_exit(server);
}

TEST(CorruptSegment, ShouldBeRefusedByTheCliWithAClearMessage) {
  integration::EchoServer server = integration::start_echo("udp_echo");
  const pid_t pid = server.process.pid();
  overwrite_in_place(pid, 3);
  const Outcome inject =
      run_captured({cli_path(), "inject", "-p", std::to_string(pid), "latency", "--delay", "1ms"}, false);
  EXPECT_NE(exit_code(inject.status), 0);
  EXPECT_NE(inject.output.find(cp::segment_path(pid)), std::string::npos) << inject.output;
  EXPECT_NE(inject.output.find("not a faultline segment"), std::string::npos) << inject.output;
  // One line says why, naming the target and its segment.
  const std::string refused =
      "target " + std::to_string(pid) + " refused: " + cp::segment_path(pid) + ": bad magic";
  EXPECT_NE(inject.output.find(refused), std::string::npos) << inject.output;
  std::string reason;
  EXPECT_FALSE(cp::Client::attach(pid, &reason).has_value());
  EXPECT_NE(reason.find("bad magic"), std::string::npos) << reason;
  // Listing still works with the corrupt segment among the live ones.
  EXPECT_EQ(exit_code(run_captured({cli_path(), "ps"}, false).status), 0);
  expect_serving(server);
}

// A python3 that waits for a line on stdin, then ends with `exit_call`.
testing::Process python_ending_with(const std::string& exit_call) {
  const std::string python = find_program({"/usr/bin/python3", "/usr/local/bin/python3"});
  if (python.empty()) throw std::runtime_error("python3 is missing (scripts/install-deps.sh installs it)");
  return testing::Process::spawn(
      {python, "-c", "import os, sys\nprint('started', flush=True)\nsys.stdin.readline()\n" + exit_call},
      testing::SpawnOptions().with_stdin());
}

void expect_segment_removed_at_exit(testing::Process process) {
  ASSERT_EQ(process.read_line(20s), "started");
  ASSERT_TRUE(testing::wait_for_segment(process.pid(), 10s).has_value());
  process.write_stdin("bye\n");
  const auto status = process.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code(*status), 3);
  // Removed before the process ended, not a moment later.
  const bool left = testing::segment_exists(process.pid());
  cp::Segment::unlink(process.pid());
  EXPECT_FALSE(left);
}

TEST(SegmentLifetime, ShouldRemoveTheSegmentWhenTheProcessExitsNormally) {
  expect_segment_removed_at_exit(python_ending_with("sys.exit(3)"));
}

// _exit() runs no destructor: the preload interposes it (and _Exit) so the
// segment does not stay until `faultline ps --gc`. Debian's /bin/sh (dash)
// ends every shell and subshell with _exit.
TEST(SegmentLifetime, ShouldRemoveTheSegmentWhenTheProcessEndsWithUnderscoreExit) {
  expect_segment_removed_at_exit(python_ending_with("os._exit(3)"));
}

TEST(SegmentLifetime, ShouldLeaveNoSegmentBehindAShellThatExits) {
  const Outcome o = run_captured({"/bin/sh", "-c", "echo $$; exit 4"}, true);
  ASSERT_EQ(exit_code(o.status), 4) << o.output;
  const pid_t pid = static_cast<pid_t>(std::stol(o.output));
  const bool left = testing::segment_exists(pid);
  cp::Segment::unlink(pid);
  EXPECT_FALSE(left);
}

TEST(SegmentLifetime, ShouldLeaveTheSegmentAfterSigkillUntilPsGcRemovesIt) {
  const testing::SegmentGcLock gc_lock;
  integration::EchoServer server = integration::start_echo("udp_echo");
  const pid_t pid = server.process.pid();
  EXPECT_TRUE(WIFSIGNALED(server.process.kill_and_reap(SIGKILL)));
  EXPECT_TRUE(testing::segment_exists(pid)) << "SIGKILL runs no destructor: the segment stays";
  const Outcome gc = run_captured({cli_path(), "ps", "--gc"}, false);
  EXPECT_EQ(exit_code(gc.status), 0) << gc.output;
  EXPECT_FALSE(testing::segment_exists(pid)) << gc.output;
}

}  // namespace
}  // namespace faultline::robustness
