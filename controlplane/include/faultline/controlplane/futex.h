// Futex wait and wake on a 32-bit word of the shared segment. Shared futexes
// (no FUTEX_PRIVATE_FLAG): the waiter and the waker are different processes,
// and the kernel keys a shared futex by the mapped page, not the address.
#pragma once

#include <atomic>
#include <cstdint>

namespace faultline::cp {

// Sleeps while *word == expected, at most timeout_ns (negative: no limit).
// Returns 0 when woken or when *word already differed, ETIMEDOUT, or EINTR.
// Preserves errno.
int futex_wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected,
               std::int64_t timeout_ns) noexcept;

// Wakes up to `count` waiters on `word`; returns how many were woken.
// Preserves errno.
int futex_wake(const std::atomic<std::uint32_t>* word, int count) noexcept;

}  // namespace faultline::cp
