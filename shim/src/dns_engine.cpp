#include "faultline/shim/dns_engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "faultline/shim/host_glob.h"
#include "plan_scan.h"

namespace faultline::shim {
namespace {

constexpr std::uint64_t kDnsPctTag = 0x646e732d7063742dULL;  // "dns-pct-"

bool numeric_address(const char* host) noexcept {
  in_addr v4;
  in6_addr v6;
  // inet_aton accepts what getaddrinfo does for IPv4 ("127.1", "0x7f.1").
  return inet_aton(host, &v4) != 0 || inet_pton(AF_INET6, host, &v6) == 1;
}

std::string_view glob_of(const abi::FaultSpec& spec) noexcept {
  return std::string_view(spec.host_glob, strnlen(spec.host_glob, sizeof spec.host_glob));
}

}  // namespace

DnsVerdict decide_dns(const char* host) noexcept {
  DnsVerdict verdict;
  if (host == nullptr || host[0] == '\0') return verdict;
  const std::string_view name(host);
  bool numeric_checked = false, numeric = false;
  const bool intact = scan::for_each_published([&](const CompiledFault& f, abi::FaultSlot& counters) {
    if (static_cast<abi::FaultKind>(f.spec.kind) != abi::FaultKind::kDns) return;
    if (!numeric_checked) {  // only once a dns fault is armed
      numeric = numeric_address(host);
      numeric_checked = true;
    }
    if (numeric || !host_glob_matches(glob_of(f.spec), name)) return;
    if (!scan::fires(f, counters, kDnsPctTag)) return;
    if (f.spec.dns_fail != 0)
      verdict.fail = true;
    else
      verdict.delay_ns += std::max<std::int64_t>(f.spec.delay_ns, 0);
    ++verdict.fired;
  });
  // The storage was reused under a stalled reader: what it read may be torn.
  return intact ? verdict : DnsVerdict{};
}

}  // namespace faultline::shim
