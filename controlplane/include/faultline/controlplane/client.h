// The tool side of the control plane: what the CLI, the experiment runner
// and the tests use to command a target and read what it records. Never
// takes a lock the target could wait on; a tool killed at any instant
// leaves the target working.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cp {

struct AckResult {
  abi::AckStatus status = abi::AckStatus::kPending;  // kPending = no acknowledgement (see reason)
  std::int32_t fault_slot = -1;
  std::int64_t apply_ns = 0;  // submit -> published, as the target measured
  std::int64_t applied_mono_ns = 0;
  std::string reason;  // kRejected: the target's reason; kPending: why none came
};

// A copy of one armed fault, read with the slot's seqlock.
struct FaultView {
  std::int32_t slot = -1;
  abi::FaultSpec spec{};
  std::int64_t armed_mono_ns = 0, starts_mono_ns = 0, expires_mono_ns = 0;
  std::uint64_t seed = 0, hits = 0, matched = 0;
};

struct ClassStats {
  std::uint64_t calls = 0, bytes = 0, errors = 0, faulted = 0, sum_ns = 0, max_ns = 0;
  std::vector<std::uint64_t> buckets;  // abi::kHistBuckets counts
  // Percentile q in [0,1] from the buckets: the upper bound of the bucket
  // holding the ceil(q * n)-th smallest value (exact below 64 ns, within
  // 1/kHistSub above), capped at max_ns when max_ns lies in that bucket. 0
  // if empty.
  std::uint64_t percentile_ns(double q) const;
  std::uint64_t count() const;  // sum of the buckets
};

struct TelemetrySnapshot {
  std::int64_t mono_ns = 0;  // CLOCK_MONOTONIC when taken
  std::int64_t wall_ns = 0;  // CLOCK_REALTIME when taken
  bool enabled = false;
  std::uint64_t internal_errors = 0, commands_applied = 0, commands_rejected = 0;
  std::vector<ClassStats> classes;          // abi::kCallClasses entries, by abi::CallClass
  std::vector<std::uint64_t> errno_counts;  // abi::kErrnoSlots entries, by errno
};

struct EventView {
  std::uint64_t index = 0;
  abi::EventType type = abi::EventType::kNone;
  std::int64_t mono_ns = 0, wall_ns = 0;
  std::int32_t fault_slot = -1, err = 0;
  std::uint64_t count = 0;
  std::string fault_id, detail;
};

// Async-signal-safe: sets `header`'s emergency word and rings its doorbell.
void request_emergency_clear(abi::Header* header) noexcept;

class Client {
 public:
  // Maps the segment of `pid`; nullopt with a one-line reason on failure
  // (no such target, other user's segment, different ABI, dead process).
  static std::optional<Client> attach(pid_t pid, std::string* reason);

  pid_t pid() const noexcept { return segment_.pid(); }
  const abi::Header& header() const noexcept { return *segment_.header(); }
  const Segment& segment() const noexcept { return segment_; }
  // The process exists (and is the one that created the segment), its apply
  // thread runs, and the segment is still its current one (not replaced by
  // an exec).
  bool alive() const;

  // Fills seq and submit time, pushes, rings the doorbell. Returns the seq,
  // or 0 if the ring is full.
  std::uint64_t submit(abi::Command cmd);
  // Polls the ack slot of `seq` until it is written or `timeout` passes;
  // gives up early if the target exits. Slots are reused every kAckSlots
  // commands: a tool that reads its ack only after that many later
  // commands were acknowledged gets kPending with "overwritten" in the
  // reason (the command itself may have been applied).
  AckResult wait_ack(std::uint64_t seq, std::chrono::nanoseconds timeout) const;
  // submit + wait_ack; a full ring is a kPending result with a reason.
  AckResult request(const abi::Command& cmd, std::chrono::nanoseconds timeout);
  // The emergency path: asks the target to disarm every fault without a
  // ring slot or an ack (see abi::Header::emergency_clear). Async-signal-safe:
  // a tool's SIGINT/SIGTERM handler may call it.
  void emergency_clear() const noexcept { request_emergency_clear(segment_.header()); }

  std::vector<FaultView> faults() const;  // armed slots only
  TelemetrySnapshot telemetry() const;
  // Complete events with index >= from, oldest first; at most the last
  // kEventSlots (older ones are overwritten). Stops before the first event
  // still being written, so the next call with from = last index + 1
  // misses nothing that was not overwritten.
  std::vector<EventView> events(std::uint64_t from) const;

 private:
  explicit Client(Segment s) : segment_(std::move(s)) {}
  Segment segment_;
};

// Builds commands (seq and submit time are filled by submit()). Strings are
// truncated to their fields.
abi::Command make_inject(const abi::FaultSpec& spec);
abi::Command make_clear(const char* fault_id);
abi::Command make_clear_all();
// An empty or null fault_id renews every leased fault.
abi::Command make_renew_lease(const char* fault_id, std::int64_t lease_ns);
abi::Command make_telemetry(bool on);

}  // namespace faultline::cp
