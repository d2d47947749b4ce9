// The decision for one name lookup (getaddrinfo): which armed dns faults
// select the name by their --host glob (host_glob.h) and what they want
// done. The preload's getaddrinfo wrapper asks; the socket engine never acts
// on dns faults, so the lookup's own traffic (if the resolver sends any
// through interposed calls) is faulted only by socket faults.
//
// A numeric address ("127.0.0.1", "::1") is not a name: getaddrinfo does
// not look it up, so no dns fault selects it.
#pragma once

#include <cstdint>

namespace faultline::shim {

// What the faults that fired want done with one lookup. Delays add up; a
// failure is reported after them.
struct DnsVerdict {
  std::int64_t delay_ns = 0;  // dns --delay: the lookup starts this much later
  bool fail = false;          // dns --fail: the lookup fails with EAI_AGAIN
  std::uint32_t fired = 0;    // faults that changed the lookup

  bool pass() const noexcept { return fired == 0; }
};

// Asks the published plan about a lookup of `host` (null: no name, pass).
// Bumps the matched and hit counters of the faults involved and reports a
// fault's first fire as an event. No lock, no syscall, no allocation.
DnsVerdict decide_dns(const char* host) noexcept;

}  // namespace faultline::shim
