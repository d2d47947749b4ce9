// Armed path of getaddrinfo: dns faults (shim/dns_engine.h) and the kDns
// telemetry class.
//   dns --delay D  the lookup starts D later (the precise in-thread wait)
//   dns --fail     the lookup fails with EAI_AGAIN, as when no name server
//                  answered; *result is left untouched, as glibc does
// The shim's recursion guard covers the decision only, not the real lookup:
// whatever the resolver sends through interposed calls stays subject to
// socket faults, as a program's own traffic is. errno is what the real
// lookup left, or the caller's on an injected failure.
#include <errno.h>
#include <netdb.h>

#include <cstdint>

#include "armed.h"
#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/dns_engine.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

// AI_NUMERICHOST: the caller forbids a lookup, so there is none to fault.
shim::DnsVerdict decide_lookup(const char* node, const addrinfo* hints, CallMode mode) noexcept {
  if (!mode.faults() || (hints != nullptr && (hints->ai_flags & AI_NUMERICHOST) != 0))
    return shim::DnsVerdict{};
  shim::ShimScope scope;
  if (!scope.entered()) return shim::DnsVerdict{};
  return shim::decide_dns(node);
}

// What telemetry counts as the lookup's error: errno for EAI_SYSTEM, else
// the (negative) EAI code, which lands in the "other" errno slot.
int lookup_error(int rc, int err) noexcept {
  if (rc == 0) return 0;
  return rc == EAI_SYSTEM && err != 0 ? err : rc;
}

}  // namespace

namespace armed {

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** result) {
  const int saved_errno = errno;
  const CallMode mode = call_mode();
  const std::int64_t t0 = mode.telemetry() ? shim::now_ns() : 0;
  const shim::DnsVerdict v = decide_lookup(node, hints, mode);
  if (v.delay_ns > 0) wait_injected(shim::now_ns(), v.delay_ns, mode);
  int rc = EAI_AGAIN;
  if (!v.fail) {
    errno = saved_errno;
    rc = real::getaddrinfo(node, service, hints, result);
  }
  const int e = v.fail ? saved_errno : errno;
  if (mode.telemetry())
    shim::record(abi::CallClass::kDns, shim::now_ns() - t0, 0, lookup_error(rc, e), !v.pass());
  errno = e;
  return rc;
}

}  // namespace armed
}  // namespace faultline::preload
