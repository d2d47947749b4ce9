// The target side of the control plane, run inside the preloaded process.
// A dedicated apply thread sleeps on the segment's doorbell futex; when a tool
// rings it, the thread drains the command ring, hands each command to the
// shim's handler and writes the acknowledgement. The application's threads
// never touch the ring. The thread also wakes at the handler's next deadline
// (fault expiry, lease end) and refreshes the heartbeat.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp {

// What applying one command produced. `reason` is NUL-terminated when
// rejected.
struct ApplyResult {
  bool applied = false;
  std::int32_t fault_slot = -1;
  char reason[abi::kReasonLen] = {};
};

// Implemented by the shim (plan manager). Called on the apply thread only.
class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Validates and applies one command; publishes a new plan if it changes.
  virtual ApplyResult apply(const abi::Command& cmd, std::int64_t now_mono_ns) noexcept = 0;
  // Expires what is due at `now`; returns the next deadline (CLOCK_MONOTONIC
  // ns) at which it wants to be called again, or INT64_MAX for none.
  virtual std::int64_t tick(std::int64_t now_mono_ns) noexcept = 0;
};

class Target {
 public:
  // Creates the segment for getpid() and starts the apply thread. Returns
  // false (and leaves the process untouched) if either fails.
  bool start(const char* program, const char* labels, CommandHandler* handler) noexcept;
  // Stops the thread and unlinks the segment (process exit).
  void stop() noexcept;
  // In a fork child: the parent's thread does not exist here and the
  // mapping is the parent's. Drops it (without unlinking) and starts afresh
  // for the child's pid.
  void restart_in_child(const char* program, const char* labels) noexcept;

  const Segment& segment() const noexcept { return segment_; }
  bool running() const noexcept { return running_; }

 private:
  Segment segment_;
  CommandHandler* handler_ = nullptr;
  bool running_ = false;
  unsigned long thread_ = 0;  // pthread_t
};

}  // namespace faultline::cp
