// The target side of the control plane, run inside the preloaded process.
// A dedicated apply thread sleeps on the segment's doorbell futex; when a tool
// rings it, the thread drains the command ring, validates each command
// (cp::validate_command), hands the valid ones to the shim's handler and
// writes the acknowledgement. The application's threads never touch the
// ring. The thread also wakes at the handler's next deadline (fault expiry,
// lease end), at least once a second, and refreshes the heartbeat.
#pragma once

#include <sys/types.h>

#include <atomic>
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

// Implemented by the shim (plan manager). Called on the apply thread only,
// and only with commands that passed validate_command.
class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Applies one command; publishes a new plan if it changes.
  virtual ApplyResult apply(const abi::Command& cmd, std::int64_t now_mono_ns) noexcept = 0;
  // Expires what is due at `now`; returns the next deadline (CLOCK_MONOTONIC
  // ns) at which it wants to be called again, or INT64_MAX for none.
  virtual std::int64_t tick(std::int64_t now_mono_ns) noexcept = 0;
};

class Target {
 public:
  Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  ~Target() { stop(); }

  // Creates the segment for getpid() and starts the apply thread (all
  // signals blocked, named "faultline"). A null handler rejects every
  // command with "no handler". Returns false (and leaves the process
  // untouched) if either fails or the target already runs.
  bool start(const char* program, const char* labels, CommandHandler* handler) noexcept;
  // Stops the thread and unlinks the segment (process exit).
  void stop() noexcept;
  // In a fork child (from a pthread_atfork child handler): the parent's
  // thread does not exist here and the mapping is the parent's. Drops the
  // mapping (without unlinking the parent's segment) and starts afresh for
  // the child's pid with the same handler. Does nothing if the parent's
  // target was not running. Takes no lock another thread could have held
  // at fork.
  void restart_in_child(const char* program, const char* labels) noexcept;

  const Segment& segment() const noexcept { return segment_; }
  bool running() const noexcept { return running_; }

 private:
  static void* thread_main(void* self) noexcept;
  void run() noexcept;
  // Header::emergency_clear was set: every fault goes, without the ring.
  void emergency_clear() noexcept;
  void drain() noexcept;
  void acknowledge(const abi::Command& cmd, const ApplyResult& result, std::int64_t applied_mono_ns) noexcept;
  bool start_thread() noexcept;

  Segment segment_;
  CommandHandler* handler_ = nullptr;
  bool running_ = false;
  std::atomic<bool> stop_requested_{false};
  unsigned long thread_ = 0;  // pthread_t
};

}  // namespace faultline::cp
