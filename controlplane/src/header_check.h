// The compatibility check a tool applies to a mapped header before trusting
// anything else in the segment.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "faultline/controlplane/abi.h"

namespace faultline::cp::detail {

// `file_size` is the segment file's size; at least sizeof(abi::Header) bytes
// are mapped at `h`. Returns true if the segment is one this build speaks;
// otherwise sets `reason` to "<path>: <what differs>, <what was expected>".
bool check_header(const abi::Header& h, std::size_t file_size, pid_t pid, const char* path,
                  std::string* reason);

}  // namespace faultline::cp::detail
