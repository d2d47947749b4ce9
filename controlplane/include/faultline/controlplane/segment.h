// Creating, opening and listing faultline segments (/dev/shm/faultline.<pid>).
// The target creates its own segment; tools open existing ones read-write and
// refuse any whose magic, ABI version or layout hash differ from theirs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "faultline/controlplane/abi.h"

namespace faultline::cp {

// A mapped segment. Move-only; unmaps on destruction (never unlinks).
class Segment {
 public:
  Segment() = default;
  Segment(Segment&& other) noexcept;
  Segment& operator=(Segment&& other) noexcept;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  bool valid() const noexcept { return base_ != nullptr; }
  abi::Header* header() const noexcept { return static_cast<abi::Header*>(base_); }
  abi::CommandRing* ring() const noexcept;
  abi::Ack* acks() const noexcept;        // kAckSlots entries
  abi::Event* events() const noexcept;    // kEventSlots entries
  abi::FaultSlot* faults() const noexcept;  // kMaxFaults entries
  abi::Telemetry* telemetry() const noexcept;
  pid_t pid() const noexcept { return pid_; }

  // Target side: creates /dev/shm/faultline.<pid> (0600, O_EXCL after
  // removing a stale one of the same pid), constructs every region, then
  // publishes abi_version with release. Async-signal-unsafe; no allocation
  // other than the mapping. Returns an invalid Segment and sets `err` (errno
  // style) on failure; never throws, never prints.
  static Segment create(pid_t pid, const char* program, const char* labels, int* err) noexcept;

  // Tool side: maps an existing segment. On failure returns an invalid
  // Segment and a one-line reason naming the segment and what was expected.
  static Segment open(pid_t pid, std::string* reason);

  // Removes the shm name of `pid` (the mapping stays usable).
  static void unlink(pid_t pid) noexcept;

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0;
  pid_t pid_ = 0;
};

struct SegmentInfo {
  pid_t pid = 0;
  bool alive = false;       // the process exists
  bool compatible = false;  // magic, ABI and layout match this build
  bool owned = false;       // same uid as the caller (or caller is root)
  std::string reason;       // why not compatible / not owned
};

// Every /dev/shm/faultline.* entry, parsed (no mapping of incompatible ones).
std::vector<SegmentInfo> list_segments();

// Removes segments whose process is gone. Returns how many were removed.
int gc_dead_segments();

}  // namespace faultline::cp
