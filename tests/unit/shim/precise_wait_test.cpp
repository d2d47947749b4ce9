#include "faultline/shim/precise_wait.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "faultline/shim/clock.h"

namespace faultline::shim {
namespace {

// Correctness only: a shared machine makes any lateness bound flaky, and
// accuracy is what bench_precise_wait measures.
constexpr std::int64_t kDelaysNs[] = {0, 1'000, 10'000, 50'000, 100'000, 300'000, 2'000'000};

TEST(PreciseWaitTest, ShouldNeverWakeBeforeDeadline) {
  for (int rep = 0; rep < 5; ++rep) {
    for (std::int64_t d : kDelaysNs) {
      const std::int64_t deadline = now_ns() + d;
      wait_until_ns(deadline);
      EXPECT_GE(now_ns(), deadline) << "delay " << d;
      const std::int64_t sleep_deadline = now_ns() + d;
      sleep_until_ns(sleep_deadline);
      EXPECT_GE(now_ns(), sleep_deadline) << "delay " << d;
      const std::int64_t start = now_ns();
      wait_for_ns(d);
      EXPECT_GE(now_ns(), start + d) << "delay " << d;
    }
  }
}

TEST(PreciseWaitTest, ShouldReturnForDeadlineInThePast) {
  const std::int64_t past = now_ns() - 1'000'000;
  wait_until_ns(past);
  sleep_until_ns(past);
  wait_for_ns(-5);
  SUCCEED();
}

TEST(PreciseWaitTest, ShouldPreserveErrno) {
  for (std::int64_t d : kDelaysNs) {
    errno = EDOM;
    wait_until_ns(now_ns() + d);
    EXPECT_EQ(errno, EDOM);
    errno = ERANGE;
    sleep_until_ns(now_ns() + d);
    EXPECT_EQ(errno, ERANGE);
    errno = EILSEQ;
    wait_for_ns(d);
    EXPECT_EQ(errno, EILSEQ);
  }
}

TEST(PreciseWaitTest, ShouldKeepMarginWithinBounds) {
  for (int i = 0; i < 20; ++i) wait_for_ns(300'000);
  EXPECT_GE(precise_wait_margin_ns(), 20'000);
  EXPECT_LE(precise_wait_margin_ns(), 200'000);
}

std::atomic<int> g_signals{0};
void count_signal(int) {
  g_signals.fetch_add(1, std::memory_order_relaxed);
#if !defined(__SANITIZE_THREAD__)  // TSan reports (and fails on) a handler that spoils errno
  errno = EAGAIN;                  // a careless handler: the wait must still report the caller's errno
#endif
}

// Signals without SA_RESTART interrupt clock_nanosleep with EINTR; the wait
// goes back to sleep to the same deadline.
TEST(PreciseWaitTest, ShouldResumeToSameDeadlineAfterSignals) {
  struct sigaction sa {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);

  for (auto* wait : {&wait_until_ns, &sleep_until_ns}) {
    g_signals.store(0);
    const pthread_t waiter = pthread_self();
    std::atomic<bool> done{false};
    std::thread pest([&] {
      while (!done.load()) {
        pthread_kill(waiter, SIGUSR1);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    // Wait until the pest is running, so that signals do land mid-sleep.
    while (g_signals.load() == 0) std::this_thread::yield();
    errno = ENOTTY;
    const std::int64_t deadline = now_ns() + 50'000'000;
    wait(deadline);
    const std::int64_t woke = now_ns();
    const int err = errno;
    const int before_stop = g_signals.load();
    done.store(true);
    pest.join();
    EXPECT_GE(woke, deadline);
    EXPECT_EQ(err, ENOTTY);
    EXPECT_GE(before_stop, 2);  // at least one landed during the wait (TSan delivers them late)
  }
  sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
}  // namespace faultline::shim
