// Validation of what crosses the ABI. The CLI checks a fault before sending
// it and the target checks every command it reads (a corrupt or hostile ring
// entry is rejected with a reason, never trusted): both use these functions.
// Regexes are only checked for termination here; the target compiles them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "faultline/controlplane/abi.h"

namespace faultline::cp {

// Limits a valid fault stays within.
inline constexpr std::int64_t kMaxLifetimeNs = 24LL * 3600 * 1'000'000'000;  // for, after, lease
inline constexpr std::int64_t kMaxDelayNs = 3600LL * 1'000'000'000;          // delay, jitter, rto
inline constexpr std::uint32_t kPpmOne = 1'000'000;                          // 100 %
inline constexpr std::int32_t kMaxErrno = 133;                               // EHWPOISON

// Returns true if valid; otherwise writes a NUL-terminated reason (at most
// `cap` bytes) naming the field and what was expected.
bool validate_fault(const abi::FaultSpec& spec, char* reason, std::size_t cap) noexcept;
bool validate_command(const abi::Command& cmd, char* reason, std::size_t cap) noexcept;

// True if the fixed-size char array holds a NUL within its bounds.
template <std::size_t N>
constexpr bool is_terminated(const char (&s)[N]) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (s[i] == '\0') return true;
  return false;
}

// The CLI's names: "latency", "pq-sever", ...; "unknown" out of range.
const char* fault_kind_name(abi::FaultKind k) noexcept;
bool parse_fault_kind(const char* name, abi::FaultKind* out) noexcept;
const char* call_class_name(abi::CallClass c) noexcept;  // "tcp_send", ...
const char* event_type_name(abi::EventType t) noexcept;  // "fault_fired", ...

}  // namespace faultline::cp
