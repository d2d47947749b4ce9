// lookup_probe (this folder) under the preload, driven line by line, and
// the dns and stall faults the tests arm in it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "../integration/integration_support.h"
#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"
#include "faultline/testing/process.h"

namespace faultline::dnstest {

// Arming and clearing (ADD_FAILURE unless applied) as the integration tests do.
using integration::clear;
using integration::inject;
using integration::kMs;

// The names every probe resolves offline, all 127.0.0.1.
inline constexpr const char* kFeedHost = "feed.faultline.test";
inline constexpr const char* kOrdersHost = "orders.faultline.test";

struct Lookup {
  int rc = -1000;        // getaddrinfo's return code
  int err = 0;           // errno after the call (4242 before it)
  std::int64_t ns = -1;  // how long the call took
};

class LookupProbe {
 public:
  // Starts lookup_probe under the preload (extra environment entries
  // "K=V") and attaches to its segment; throws if either fails. As root the
  // probe gets its own /etc/hosts: localhost, kFeedHost and kOrdersHost.
  static LookupProbe start(const std::string& env_entry = "");
  // Why start() cannot give the probe its own /etc/hosts here (it needs
  // root for a mount namespace), or "" when it can.
  static std::string cannot_own_hosts();

  pid_t pid() const { return process_.pid(); }
  cp::Client& client() { return *client_; }

  Lookup resolve(const std::string& name);
  // The same lookup with AI_NUMERICHOST (no resolver may be asked).
  Lookup resolve_numeric(const std::string& name);
  // How long a loopback sendto took in the probe.
  std::int64_t send_ns();

 private:
  explicit LookupProbe(testing::Process p) : process_(std::move(p)) {}
  std::string ask(const std::string& command);

  testing::Process process_;
  std::optional<cp::Client> client_;
};

// A dns fault as the CLI builds it: 100%, --for 60s, a fixed seed.
abi::FaultSpec dns_fault(const char* id, const char* glob, std::int64_t delay_ns, bool fail);
// A stall fault holding every socket call for delay_ns.
abi::FaultSpec stall_fault(const char* id, std::int64_t delay_ns);

// Hits and matched calls of the armed fault `id` (0, 0 if not armed).
std::uint64_t hits_of(const cp::Client& client, const char* id);
std::uint64_t matched_of(const cp::Client& client, const char* id);

}  // namespace faultline::dnstest
