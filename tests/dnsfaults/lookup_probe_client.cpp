#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "faultline/testing/targets.h"
#include "lookup_probe.h"

namespace faultline::dnstest {

using namespace std::chrono_literals;

namespace {

// The probes' /etc/hosts, written once per test process, removed at its exit.
class HostsFile {
 public:
  HostsFile()
      : path_(std::filesystem::temp_directory_path() /
              ("faultline-dns-hosts-" + std::to_string(::getpid()))) {
    std::ofstream out(path_);
    out << "127.0.0.1 localhost\n127.0.0.1 " << kFeedHost << "\n127.0.0.1 " << kOrdersHost << "\n";
    if (!out) throw std::runtime_error("cannot write " + path_.string());
  }
  ~HostsFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string hosts_file() {
  static const HostsFile file;
  return file.path();
}

}  // namespace

std::string LookupProbe::cannot_own_hosts() {
  return ::geteuid() == 0 ? "" : "needs root: the probe binds its own /etc/hosts in a mount namespace";
}

LookupProbe LookupProbe::start(const std::string& env_entry) {
  testing::SpawnOptions options = testing::SpawnOptions().with_stdin();
  if (!env_entry.empty()) options = options.with_env(env_entry);
  std::vector<std::string> argv{FAULTLINE_LOOKUP_PROBE_PATH};
  if (cannot_own_hosts().empty()) argv.insert(argv.end(), {"--hosts", hosts_file()});
  LookupProbe p(testing::Process::spawn(argv, options));
  const auto ready = p.process_.read_line(10s);
  if (ready != "ready") throw std::runtime_error("lookup_probe did not start");
  std::string reason;
  p.client_ = testing::wait_for_segment(p.pid(), 10s, &reason);
  if (!p.client_) throw std::runtime_error("lookup_probe: no segment: " + reason);
  return p;
}

std::string LookupProbe::ask(const std::string& command) {
  process_.write_stdin(command + "\n");
  const auto line = process_.read_line(20s);
  if (!line) throw std::runtime_error("lookup_probe did not answer '" + command + "'");
  return *line;
}

namespace {
Lookup parse_lookup(const std::string& line) {
  Lookup l;
  long long ns = -1;
  if (std::sscanf(line.c_str(), "rc=%d errno=%d ns=%lld", &l.rc, &l.err, &ns) != 3)
    throw std::runtime_error("lookup_probe answered '" + line + "'");
  l.ns = ns;
  return l;
}
}  // namespace

Lookup LookupProbe::resolve(const std::string& name) {
  return parse_lookup(ask("resolve " + name));
}

Lookup LookupProbe::resolve_numeric(const std::string& name) {
  return parse_lookup(ask("numeric " + name));
}

std::int64_t LookupProbe::send_ns() {
  const std::string line = ask("send");
  long long ns = -1;
  if (std::sscanf(line.c_str(), "ns=%lld", &ns) != 1 || ns < 0)
    throw std::runtime_error("lookup_probe answered '" + line + "'");
  return ns;
}

abi::FaultSpec dns_fault(const char* id, const char* glob, std::int64_t delay_ns, bool fail) {
  abi::FaultSpec f = integration::latency_fault(id, delay_ns);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kDns);
  f.dns_fail = fail ? 1 : 0;
  std::strncpy(f.host_glob, glob, sizeof f.host_glob - 1);
  return f;
}

abi::FaultSpec stall_fault(const char* id, std::int64_t delay_ns) {
  abi::FaultSpec f = integration::latency_fault(id, delay_ns);
  f.kind = static_cast<std::uint16_t>(abi::FaultKind::kStall);
  return f;
}

std::uint64_t hits_of(const cp::Client& client, const char* id) {
  const auto f = integration::fault_view(client, id);
  return f ? f->hits : 0;
}

std::uint64_t matched_of(const cp::Client& client, const char* id) {
  const auto f = integration::fault_view(client, id);
  return f ? f->matched : 0;
}

}  // namespace faultline::dnstest
