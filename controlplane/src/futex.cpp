#include "faultline/controlplane/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace faultline::cp {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

namespace {

std::uint32_t* futex_word(const std::atomic<std::uint32_t>* word) noexcept {
  // The kernel compares and sleeps on the word's bytes; std::atomic<uint32_t>
  // is exactly those bytes (asserted above).
  return const_cast<std::uint32_t*>(reinterpret_cast<const std::uint32_t*>(word));
}

}  // namespace

int futex_wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected,
               std::int64_t timeout_ns) noexcept {
  const int saved_errno = errno;
  timespec ts{};
  timespec* timeout = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    timeout = &ts;
  }
  const long rc = syscall(SYS_futex, futex_word(word), FUTEX_WAIT, expected, timeout, nullptr, 0);
  int result = 0;
  if (rc != 0 && (errno == ETIMEDOUT || errno == EINTR)) result = errno;
  errno = saved_errno;
  return result;
}

int futex_wake(const std::atomic<std::uint32_t>* word, int count) noexcept {
  const int saved_errno = errno;
  const long rc = syscall(SYS_futex, futex_word(word), FUTEX_WAKE, count, nullptr, nullptr, 0);
  errno = saved_errno;
  return rc > 0 ? static_cast<int>(rc) : 0;
}

}  // namespace faultline::cp
