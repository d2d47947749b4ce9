#include "faultline/cli/fault.h"

namespace faultline::cli {
namespace {

constexpr FaultOptionInfo kOptions[] = {
    // -- every fault --
    {"for", "D", "Every fault", "Time to live, e.g. 30s (default 60s; the fault then expires by itself)",
     false},
    {"after", "D", "Every fault", "Start delay after arming, e.g. 5s (default 0)", false},
    {"pct", "P", "Every fault",
     "Chance a matching call is affected, percent (default 100); for loss: the loss probability", false},
    {"max-hits", "N", "Every fault", "Disarm after this many affected calls (default unlimited)", false},
    {"seed", "N", "Every fault",
     "Seed of the fault's random streams, to replay a run (default: from the clock)", false},
    {"id", "ID", "Every fault", "Fault id (default generated, e.g. lat-3f9a)", false},
    {"lease", "D", "Every fault",
     "Hold the fault on a lease of D: stay in the foreground renewing every D/3 until Ctrl-C or --for ends, "
     "then clear it; if this command dies the fault expires within D",
     false},
    // -- what it matches --
    {"dst", "CIDR[:PORT]", "Match", "Peer address CIDR[:PORT], e.g. 10.0.0.0/8:5432, [::1]:80, :9000", false},
    {"src-port", "PORT", "Match", "Local port", false},
    {"proto", "PROTO", "Match", "tcp, udp, unix or any (default any)", false},
    {"dir", "DIR", "Match", "egress, ingress or both (default both)", false},
    {"sql", "REGEX", "Match", "libpq faults: ECMAScript regex on the statement", false},
    {"db", "NAME", "Match", "libpq faults: database name", false},
    // -- kind parameters --
    {"delay", "D", "Fault parameters", "latency, stall, pq-slow, dns: added delay, e.g. 200ms", false},
    {"jitter", "D", "Fault parameters", "latency: spread around --delay, e.g. 50ms", false},
    {"correlation", "C", "Fault parameters",
     "latency: lag-1 correlation of successive delays; loss: of successive losses; percent", false},
    {"distribution", "DIST", "Fault parameters",
     "latency: uniform, normal, pareto or paretonormal (default uniform)", false},
    {"gemodel", "p,r,1-h,1-k", "Fault parameters",
     "loss: Gilbert-Elliott p,r,1-h,1-k in percent (netem's gemodel)", false},
    {"rto", "D", "Fault parameters", "loss on TCP: retransmission stall per lost segment (default 200ms)",
     false},
    {"errno", "E", "Fault parameters",
     "errno, refuse: the error, e.g. ECONNRESET or 104 (refuse: ECONNREFUSED)", false},
    {"rate", "R", "Fault parameters", "bandwidth: e.g. 1MB/s, 500KB/s, 10Mbit/s", false},
    {"max", "N", "Fault parameters", "slice: most bytes per read or write, e.g. 16 or 1KiB", false},
    {"gap", "N", "Fault parameters", "reorder: datagrams a held one is delayed by (default 1)", false},
    {"host", "GLOB", "Fault parameters", "dns: host name glob, e.g. *.example.com", false},
    {"fail", "", "Fault parameters", "dns: fail the lookup with EAI_AGAIN", true},
    {"sqlstate", "S", "Fault parameters", "pq-error: SQLSTATE, e.g. 40001, 40P01, 57P01, 53300", false},
    {"message", "M", "Fault parameters", "pq-error: error message", false},
};

}  // namespace

std::span<const FaultOptionInfo> fault_option_table() {
  return kOptions;
}

}  // namespace faultline::cli
