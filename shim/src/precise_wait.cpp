#include "faultline/shim/precise_wait.h"

#include <errno.h>
#include <time.h>

#include <algorithm>
#include <atomic>

#include "faultline/controlplane/cpu_relax.h"
#include "faultline/shim/clock.h"

namespace faultline::shim {
namespace {

constexpr std::int64_t kMarginMinNs = 20'000;
constexpr std::int64_t kMarginMaxNs = 200'000;
// One preempted sleep must not blow the margin up for long.
constexpr std::int64_t kOversleepSampleCapNs = 2 * kMarginMaxNs;

// Oversleep statistics packed as (mean << 32 | deviation), in ns, so a reader
// sees a consistent pair. Starts at mean 50 us, deviation 5 us: margin 60 us.
constexpr std::uint64_t pack(std::uint64_t mean, std::uint64_t dev) noexcept {
  return (mean << 32) | dev;
}
std::atomic<std::uint64_t> g_oversleep{pack(50'000, 5'000)};

std::int64_t margin_from(std::uint64_t packed) noexcept {
  const auto mean = static_cast<std::int64_t>(packed >> 32);
  const auto dev = static_cast<std::int64_t>(packed & 0xffffffffu);
  return std::clamp(mean + 2 * dev, kMarginMinNs, kMarginMaxNs);
}

void record_oversleep(std::int64_t oversleep_ns) noexcept {
  const std::int64_t sample = std::clamp<std::int64_t>(oversleep_ns, 0, kOversleepSampleCapNs);
  const std::uint64_t packed = g_oversleep.load(std::memory_order_relaxed);
  auto mean = static_cast<std::int64_t>(packed >> 32);
  auto dev = static_cast<std::int64_t>(packed & 0xffffffffu);
  const std::int64_t error = sample - mean;
  mean += error / 8;                                // EWMA, gain 1/8
  dev += ((error < 0 ? -error : error) - dev) / 4;  // EWMA of |error|, gain 1/4
  g_oversleep.store(pack(static_cast<std::uint64_t>(std::max<std::int64_t>(mean, 0)),
                         static_cast<std::uint64_t>(std::max<std::int64_t>(dev, 0))),
                    std::memory_order_relaxed);
}

timespec to_timespec(std::int64_t ns) noexcept {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ts;
}

// clock_nanosleep reports its error as the return value; a signal handler
// restarts the sleep to the same absolute instant.
void sleep_to(std::int64_t deadline_ns) noexcept {
  if (deadline_ns <= 0) return;
  const timespec ts = to_timespec(deadline_ns);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace

void wait_until_ns(std::int64_t deadline_mono_ns) noexcept {
  const int saved_errno = errno;
  std::int64_t now = now_ns();
  if (deadline_mono_ns - now > kStagedAboveNs) {
    sleep_to(deadline_mono_ns - kStageLeadNs);
    now = now_ns();
  }
  if (now < deadline_mono_ns) {
    const std::int64_t margin = margin_from(g_oversleep.load(std::memory_order_relaxed));
    if (deadline_mono_ns - now > margin) {
      const std::int64_t wake_target = deadline_mono_ns - margin;
      sleep_to(wake_target);
      now = now_ns();
      record_oversleep(now - wake_target);
    }
    while (now < deadline_mono_ns) {
      cp::cpu_relax();
      now = now_ns();
    }
  }
  errno = saved_errno;
}

void sleep_until_ns(std::int64_t deadline_mono_ns) noexcept {
  const int saved_errno = errno;
  sleep_to(deadline_mono_ns);
  errno = saved_errno;
}

std::int64_t precise_wait_margin_ns() noexcept {
  return margin_from(g_oversleep.load(std::memory_order_relaxed));
}

void record_timer_oversleep(std::int64_t oversleep_ns) noexcept {
  record_oversleep(oversleep_ns);
}

}  // namespace faultline::shim
