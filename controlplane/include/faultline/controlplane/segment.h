// Creating, opening and listing faultline segments (/dev/shm/faultline.<pid>).
// The target creates its own segment; tools open existing ones read-write and
// refuse any whose magic, ABI version or layout hash differ from theirs.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "faultline/controlplane/abi.h"

namespace faultline::cp {

// Where shm_open puts named segments on Linux.
inline constexpr const char* kShmDir = "/dev/shm";

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
  abi::Ack* acks() const noexcept;          // kAckSlots entries
  abi::Event* events() const noexcept;      // kEventSlots entries
  abi::FaultSlot* faults() const noexcept;  // kMaxFaults entries
  abi::Telemetry* telemetry() const noexcept;
  pid_t pid() const noexcept { return pid_; }

  // True while /dev/shm/faultline.<pid> still names this mapping: false once
  // the target unlinked it (exit) or replaced it (exec, pid reuse).
  bool linked() const noexcept;

  // A read-write descriptor of this mapping's file, opened by its path
  // (close-on-exec), or -1 if the path no longer names it. For a thread with
  // a descriptor table of its own (the apply thread): in a shared table the
  // host could close the number and reuse it. Preserves errno.
  int open_file() const noexcept;

  // Target side: creates /dev/shm/faultline.<pid> (0600, O_EXCL after
  // removing a stale one of the same pid), constructs every region, then
  // publishes abi_version with release. No allocation other than the
  // mapping, no locks, no stdio: safe in a fork child of a threaded process.
  // Returns an invalid Segment and sets `err` (errno style) on failure;
  // never throws, never prints. Preserves errno.
  static Segment create(pid_t pid, const char* program, const char* labels, int* err) noexcept;

  // Tool side: maps an existing segment. On failure returns an invalid
  // Segment and a one-line reason naming the segment and what was expected.
  static Segment open(pid_t pid, std::string* reason);

  // Removes the shm name of `pid` (the mapping stays usable). Preserves errno.
  static void unlink(pid_t pid) noexcept;

 private:
  void reset() noexcept;
  // Whether `st` (a stat of some file) is this mapping's file.
  bool is_mapped_file(const struct stat& st) const noexcept;

  void* base_ = nullptr;
  std::size_t size_ = 0;
  pid_t pid_ = 0;
  std::uint64_t dev_ = 0, ino_ = 0;  // identity of the shm file, for linked()
};

// "/dev/shm/faultline.<pid>", for messages.
std::string segment_path(pid_t pid);

// Whether the process a segment belongs to still runs. Dead means: no such
// process (kill(pid, 0) fails with ESRCH), a zombie, or, when the segment's
// creation time is known (start_mono_ns > 0), a process that started after
// the segment was created, i.e. a different process that reuses the pid.
// The last test converts the kernel's start time (/proc/<pid>/stat, clock
// ticks on CLOCK_BOOTTIME) and compares it with start_mono_ns moved onto
// CLOCK_BOOTTIME; rounding only ever errs towards "alive", so a running
// target is never called dead. Preserves errno.
bool target_process_alive(pid_t pid, std::int64_t start_mono_ns) noexcept;

struct SegmentInfo {
  pid_t pid = 0;
  std::string path;         // /dev/shm/faultline.<pid>
  uid_t uid = 0;            // owner of the file
  bool alive = false;       // the process exists (see target_process_alive)
  bool compatible = false;  // magic, ABI and layout match this build
  bool owned = false;       // same uid as the caller (or caller is root)
  std::string reason;       // why not compatible / not owned
};

// Every /dev/shm/faultline.<pid> entry, by pid. Maps only the header of
// segments the caller owns, read-only, to check compatibility.
std::vector<SegmentInfo> list_segments();

// Removes the segments of processes that are gone (see
// target_process_alive) and that the caller may remove. Before unlinking,
// checks the name still refers to the file it examined, so a new process
// that took the pid meanwhile keeps its fresh segment. Returns how many were
// removed.
int gc_dead_segments();

}  // namespace faultline::cp
