// Shared futexes on a word of the segment, across processes.
#include "faultline/controlplane/futex.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <fstream>
#include <string>
#include <thread>

#include "test_support.h"

namespace faultline::cp {
namespace {

using testing::Child;
using testing::Pipe;
using testing::ScopedSegment;

char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

TEST(Futex, ShouldTimeOutWhenNotWoken) {
  std::atomic<std::uint32_t> word{5};
  EXPECT_EQ(futex_wait(&word, 5, 1'000'000), ETIMEDOUT);
}

TEST(Futex, ShouldReturnAtOnceWhenTheWordAlreadyChanged) {
  std::atomic<std::uint32_t> word{6};
  EXPECT_EQ(futex_wait(&word, 5, -1), 0);
}

TEST(Futex, ShouldPreserveErrno) {
  std::atomic<std::uint32_t> word{5};
  errno = 1234;
  futex_wait(&word, 5, 1000);
  futex_wake(&word, 1);
  EXPECT_EQ(errno, 1234);
}

TEST(Futex, ShouldWakeAWaiterInAnotherProcess) {
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  std::atomic<std::uint32_t>* word = &s.segment.header()->doorbell;
  Pipe ready;
  // The child re-maps the segment, so its futex lives at another address:
  // only a shared (not private) futex reaches it.
  const pid_t parent = getpid();
  Child waiter([&] {
    std::string reason;
    Segment mine = Segment::open(parent, &reason);
    if (!mine.valid()) return 3;
    ready.send('y');
    const int rc = futex_wait(&mine.header()->doorbell, 0, 20'000'000'000);
    return rc == 0 ? 0 : 1;
  });
  ready.close_write();  // a child that dies reads as end of file, not a hang
  ASSERT_EQ(ready.receive(), 'y');
  // Wake without changing the word: the waiter returns only if the wake
  // reaches its sleep.
  int woken = 0;
  const auto deadline = std::chrono::steady_clock::now() + testing::kHangGuard;
  while (woken == 0 && std::chrono::steady_clock::now() < deadline) {
    if (process_state(waiter.pid()) == 'S') woken = futex_wake(word, INT_MAX);
    if (woken == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(waiter.wait(), 0);
}

}  // namespace
}  // namespace faultline::cp
