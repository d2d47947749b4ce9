#include "header_check.h"

#include "messages.h"

namespace faultline::cp::detail {

bool check_header(const abi::Header& h, std::size_t file_size, pid_t pid, const char* path,
                  std::string* reason) {
  // abi_version first, with acquire: it is written last, so every identity
  // field read after it is the one the target wrote.
  const std::uint32_t version = h.abi_version.load(std::memory_order_acquire);
  auto fail = [&](std::string why) {
    if (reason != nullptr) *reason = std::string(path) + ": " + why;
    return false;
  };
  if (h.magic != abi::kMagic) {
    if (h.magic == 0 && version == 0) return fail("not initialised yet (the target may still be starting)");
    return fail(format("bad magic 0x%016llx, expected 0x%016llx (not a faultline segment)",
                       static_cast<unsigned long long>(h.magic),
                       static_cast<unsigned long long>(abi::kMagic)));
  }
  if (version == 0) return fail("not initialised yet (the target may still be starting)");
  if (version != abi::kAbiVersion)
    return fail(format("ABI version %u, this faultline speaks %u", version, abi::kAbiVersion));
  if (h.layout_hash != abi::kLayoutHash)
    return fail(format(
        "layout hash 0x%016llx, this build expects 0x%016llx (tool and preload built "
        "with a different compiler or Boost; rebuild them together)",
        static_cast<unsigned long long>(h.layout_hash), static_cast<unsigned long long>(abi::kLayoutHash)));
  if (h.header_size != sizeof(abi::Header))
    return fail(format("header size %u, expected %zu", h.header_size, sizeof(abi::Header)));
  if (h.segment_size != abi::kSegmentSize)
    return fail(format("segment size %llu, expected %zu", static_cast<unsigned long long>(h.segment_size),
                       abi::kSegmentSize));
  if (file_size != abi::kSegmentSize)
    return fail(format("file size %zu, expected %zu", file_size, abi::kSegmentSize));
  constexpr abi::Layout l = abi::layout();
  if (h.ring_offset != l.ring || h.acks_offset != l.acks || h.events_offset != l.events ||
      h.faults_offset != l.faults || h.telemetry_offset != l.telemetry)
    return fail("region offsets differ from this build's layout");
  if (h.pid != pid) return fail(format("header names pid %d, expected %d", h.pid, pid));
  return true;
}

}  // namespace faultline::cp::detail
