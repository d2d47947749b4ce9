// Names of a target's segment, formatted without stdio or allocation so the
// target can build them in a fork child.
#pragma once

#include <sys/types.h>

namespace faultline::cp::detail {

struct SegmentName {
  char shm[32];   // "/faultline.<pid>", for shm_open
  char path[48];  // "/dev/shm/faultline.<pid>", for stat and messages
};

SegmentName segment_name(pid_t pid) noexcept;

// Parses a /dev/shm directory entry "faultline.<pid>" (decimal, > 0).
bool parse_segment_file_name(const char* file_name, pid_t* pid) noexcept;

}  // namespace faultline::cp::detail
