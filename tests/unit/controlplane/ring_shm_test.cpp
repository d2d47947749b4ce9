// The Boost.Lockfree command ring living in the shared segment: several
// producer processes and threads, one consumer, and producers that die at
// any instant.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "faultline/controlplane/segment.h"
#include "test_support.h"

namespace faultline::cp {
namespace {

using testing::Child;
using testing::ScopedSegment;

// seq carries (producer, index); the message carries a pattern derived from
// seq, so a torn copy is detected.
abi::Command numbered(std::uint32_t producer, std::uint32_t index) {
  abi::Command c{};
  c.seq = (static_cast<std::uint64_t>(producer) << 32) | index;
  for (std::size_t i = 0; i + 1 < sizeof(c.fault.message); ++i)
    c.fault.message[i] = static_cast<char>('A' + (c.seq * 31 + i) % 26);
  return c;
}

std::uint32_t producer_of(const abi::Command& c) {
  return static_cast<std::uint32_t>(c.seq >> 32);
}
std::uint32_t index_of(const abi::Command& c) {
  return static_cast<std::uint32_t>(c.seq);
}

bool intact(const abi::Command& c) {
  const abi::Command expected = numbered(producer_of(c), index_of(c));
  return std::memcmp(expected.fault.message, c.fault.message, sizeof(c.fault.message)) == 0;
}

void push_spinning(abi::CommandRing* ring, const abi::Command& c) {
  while (!ring->bounded_push(c)) std::this_thread::yield();
}

TEST(CommandRing, ShouldPopEveryCommandExactlyOnceInProducerOrderAcrossProcesses) {
  constexpr std::uint32_t kThreads = 4, kPerThread = 5000;
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  const pid_t parent = getpid();
  // The child maps the segment afresh (another address) and pushes from
  // several threads.
  Child producer([parent] {
    std::string reason;
    Segment mine = Segment::open(parent, &reason);
    if (!mine.valid()) return 2;
    std::vector<std::thread> threads;
    for (std::uint32_t t = 0; t < kThreads; ++t)
      threads.emplace_back([&mine, t] {
        for (std::uint32_t i = 0; i < kPerThread; ++i) push_spinning(mine.ring(), numbered(t, i));
      });
    for (auto& th : threads) th.join();
    return 0;
  });

  std::vector<std::uint32_t> next(kThreads, 0);
  std::uint32_t popped = 0;
  const auto deadline = std::chrono::steady_clock::now() + testing::kHangGuard;
  abi::Command c;
  while (popped < kThreads * kPerThread && std::chrono::steady_clock::now() < deadline) {
    if (!s.segment.ring()->pop(c)) continue;
    ASSERT_LT(producer_of(c), kThreads);
    ASSERT_EQ(index_of(c), next[producer_of(c)]) << "producer " << producer_of(c);
    ASSERT_TRUE(intact(c));
    ++next[producer_of(c)];
    ++popped;
  }
  EXPECT_EQ(popped, kThreads * kPerThread);
  EXPECT_FALSE(s.segment.ring()->pop(c));
  EXPECT_EQ(producer.wait(), 0);
}

TEST(CommandRing, ShouldKeepPoppingWhenProducersAreKilledMidPush) {
  constexpr std::uint32_t kKills = 24;
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  abi::CommandRing* ring = s.segment.ring();
  std::mt19937 rng(20240601);
  abi::Command c;

  for (std::uint32_t k = 0; k < kKills; ++k) {
    Child producer([ring, k] {
      for (std::uint32_t i = 0;; ++i) push_spinning(ring, numbered(k, i));
      return 0;
    });
    // Pop a random number of this producer's commands, then kill it
    // wherever it is (often inside a push), then drain what it linked.
    const auto kill_after = static_cast<std::uint32_t>(1 + rng() % 400);
    std::uint32_t next = 0;
    const auto deadline = std::chrono::steady_clock::now() + testing::kHangGuard;
    bool killed = false;
    for (;;) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "consumer stalled after kill " << k;
      if (!ring->pop(c)) {
        if (killed) break;
        continue;
      }
      ASSERT_EQ(producer_of(c), k);
      ASSERT_EQ(index_of(c), next);
      ASSERT_TRUE(intact(c));
      ++next;
      if (!killed && next == kill_after) {
        kill(producer.pid(), SIGKILL);
        EXPECT_EQ(producer.wait(), 128 + SIGKILL);
        killed = true;
      }
    }
  }

  // A producer after all the kills gets every command through, in order.
  constexpr std::uint32_t kFinal = 2000;
  Child last([ring] {
    for (std::uint32_t i = 0; i < kFinal; ++i) push_spinning(ring, numbered(kKills, i));
    return 0;
  });
  std::uint32_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + testing::kHangGuard;
  while (next < kFinal && std::chrono::steady_clock::now() < deadline) {
    if (!ring->pop(c)) continue;
    ASSERT_EQ(producer_of(c), kKills);
    ASSERT_EQ(index_of(c), next);
    ++next;
  }
  EXPECT_EQ(next, kFinal);
  EXPECT_EQ(last.wait(), 0);

  // A producer killed between taking a node and linking it leaks that node
  // (never more): the ring keeps at least capacity - kills free slots.
  std::uint32_t free_slots = 0;
  while (ring->bounded_push(numbered(99, free_slots))) ++free_slots;
  EXPECT_GE(free_slots, abi::kCommandRingCapacity - kKills);
  EXPECT_LE(free_slots, abi::kCommandRingCapacity);
  for (std::uint32_t i = 0; i < free_slots; ++i) ASSERT_TRUE(ring->pop(c));
}

TEST(CommandRing, ShouldPopThroughOneMappingWhatWasPushedThroughAnother) {
  ScopedSegment s;
  ASSERT_TRUE(s.segment.valid());
  std::string reason;
  Segment other = Segment::open(getpid(), &reason);
  ASSERT_TRUE(other.valid()) << reason;
  ASSERT_NE(other.ring(), s.segment.ring());
  for (std::uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(other.ring()->bounded_push(numbered(7, i)));
  abi::Command c;
  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.segment.ring()->pop(c));
    EXPECT_EQ(index_of(c), i);
    EXPECT_TRUE(intact(c));
  }
  EXPECT_FALSE(other.ring()->pop(c));
}

}  // namespace
}  // namespace faultline::cp
