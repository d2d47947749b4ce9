// Validation of what crosses the ABI. The CLI checks a fault before sending
// it and the target checks every command it reads (a corrupt or hostile ring
// entry is rejected with a reason, never trusted): both use these functions.
#pragma once

#include <cstddef>

#include "faultline/controlplane/abi.h"

namespace faultline::cp {

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

const char* fault_kind_name(abi::FaultKind k) noexcept;  // "latency", "pq-sever", ...
bool parse_fault_kind(const char* name, abi::FaultKind* out) noexcept;
const char* call_class_name(abi::CallClass c) noexcept;  // "tcp_send", ...

}  // namespace faultline::cp
