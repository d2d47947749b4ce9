// From `inject`'s options to an abi::FaultSpec. Each kind accepts the common
// options, the match options of its domain (sockets or libpq) and its own
// parameters; anything else is an error rather than silently ignored.
#include <algorithm>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "faultline/cli/error.h"
#include "faultline/cli/fault.h"
#include "faultline/cli/parse.h"
#include "faultline/controlplane/validate.h"

namespace faultline::cli {
namespace {

using abi::FaultKind;

enum class Domain { kSocket, kPq, kDns };

struct KindRule {
  FaultKind kind;
  Domain domain;
  std::string_view params;    // space-separated option names
  std::string_view required;  // option that must be given, "" if none
};

constexpr KindRule kRules[] = {
    {FaultKind::kLatency, Domain::kSocket, "delay jitter correlation distribution", "delay"},
    {FaultKind::kLoss, Domain::kSocket, "correlation gemodel rto", ""},
    {FaultKind::kReset, Domain::kSocket, "", ""},
    {FaultKind::kBlackhole, Domain::kSocket, "", ""},
    {FaultKind::kRefuse, Domain::kSocket, "errno", ""},
    {FaultKind::kBandwidth, Domain::kSocket, "rate", "rate"},
    {FaultKind::kSlice, Domain::kSocket, "max", "max"},
    {FaultKind::kCorrupt, Domain::kSocket, "", ""},
    {FaultKind::kDuplicate, Domain::kSocket, "", ""},
    {FaultKind::kReorder, Domain::kSocket, "gap", ""},
    {FaultKind::kErrno, Domain::kSocket, "errno", "errno"},
    {FaultKind::kDns, Domain::kDns, "host delay fail", "host"},
    {FaultKind::kStall, Domain::kSocket, "delay", "delay"},
    {FaultKind::kPqSever, Domain::kPq, "", ""},
    {FaultKind::kPqSlow, Domain::kPq, "delay", "delay"},
    {FaultKind::kPqError, Domain::kPq, "sqlstate message", "sqlstate"},
    {FaultKind::kPqRefuse, Domain::kPq, "", ""},
};

constexpr std::string_view kCommon = "for after pct max-hits seed id lease";
constexpr std::string_view kSocketMatch = "dst src-port proto dir";
constexpr std::string_view kPqMatch = "sql db";

bool listed(std::string_view list, std::string_view name) {
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(' ', start), list.size());
    if (list.substr(start, end - start) == name) return true;
    start = end + 1;
  }
  return false;
}

std::string dashed(std::string_view list) {
  std::string out;
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(' ', start), list.size());
    out += (out.empty() ? "--" : ", --") + std::string(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string_view match_options(Domain d) {
  switch (d) {
    case Domain::kSocket:
      return kSocketMatch;
    case Domain::kPq:
      return kPqMatch;
    case Domain::kDns:
      return "";
  }
  return "";
}

template <std::size_t N>
void copy_field(char (&dst)[N], std::string_view value, std::string_view option) {
  if (value.size() >= N)
    throw UserError("value of " + std::string(option) + " is too long (" + std::to_string(value.size()) +
                    " bytes): expected at most " + std::to_string(N - 1));
  std::memcpy(dst, value.data(), value.size());
  dst[value.size()] = '\0';
}

std::uint32_t parse_positive_u32(std::string_view text, std::string_view option) {
  const std::uint64_t v = parse_count(text, option, 0xffffffffu);
  if (v == 0) throw UserError("invalid number '0' for " + std::string(option) + ": expected at least 1");
  return static_cast<std::uint32_t>(v);
}

void check_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() < abi::kIdLen && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!ok)
    throw UserError("invalid fault id '" + std::string(id) + "' for --id: expected 1 to " +
                    std::to_string(abi::kIdLen - 1) + " letters, digits, '.', '_' or '-'");
}

class Builder {
 public:
  Builder(const KindRule& rule, const GivenOptions& given) : rule_(rule), given_(given) {}

  abi::FaultSpec build() {
    check_applicable();
    spec_.kind = static_cast<std::uint16_t>(rule_.kind);
    common();
    match();
    params();
    return spec_;
  }

 private:
  const char* name() const { return cp::fault_kind_name(rule_.kind); }
  const std::string* get(std::string_view option) const {
    const auto it = given_.find(option);
    return it == given_.end() ? nullptr : &it->second;
  }
  bool has(std::string_view option) const { return given_.find(option) != given_.end(); }

  void check_applicable() const {
    for (const auto& [option, value] : given_) {
      if (listed(kCommon, option) || listed(match_options(rule_.domain), option) ||
          listed(rule_.params, option))
        continue;
      std::string own = dashed(rule_.params);
      const std::string match = dashed(match_options(rule_.domain));
      if (!match.empty()) own += (own.empty() ? "" : ", ") + match;
      throw UserError(
          "--" + option + " does not apply to " + name() + ": expected " +
          (own.empty() ? std::string("only the common options") : own + " or the common options") +
          " (see faultline inject --help)");
    }
    if (!rule_.required.empty() && !has(rule_.required))
      throw UserError(std::string(name()) + " needs --" + std::string(rule_.required) + ": expected e.g. " +
                      example());
  }

  std::string example() const {
    switch (rule_.kind) {
      case FaultKind::kLatency:
        return "latency --delay 200ms --jitter 50ms";
      case FaultKind::kBandwidth:
        return "bandwidth --rate 1MB/s";
      case FaultKind::kSlice:
        return "slice --max 16";
      case FaultKind::kErrno:
        return "errno --errno EAGAIN --pct 10";
      case FaultKind::kDns:
        return "dns --host '*.example.com' --fail";
      case FaultKind::kStall:
        return "stall --delay 1s";
      case FaultKind::kPqSlow:
        return "pq-slow --delay 200ms --sql '^INSERT'";
      case FaultKind::kPqError:
        return "pq-error --sqlstate 40001";
      default:
        return name();
    }
  }

  void common() {
    spec_.for_ns = kDefaultForNs;
    if (const auto* v = get("for")) {
      spec_.for_ns = parse_duration(*v, "--for");
      if (spec_.for_ns == 0)
        throw UserError("--for 0 would never arm the fault: expected a duration > 0, e.g. 30s");
    }
    if (const auto* v = get("after")) spec_.after_ns = parse_duration(*v, "--after");
    spec_.pct_ppm = kPpm;
    if (const auto* v = get("pct")) spec_.pct_ppm = parse_percent_ppm(*v, "--pct");
    if (const auto* v = get("max-hits")) {
      spec_.max_hits = parse_count(*v, "--max-hits", UINT64_MAX);
      if (spec_.max_hits == 0)
        throw UserError("invalid number '0' for --max-hits: expected at least 1 (omit it for no limit)");
    }
    if (const auto* v = get("seed")) {
      spec_.seed = parse_count(*v, "--seed", UINT64_MAX);
      if (spec_.seed == 0)
        throw UserError(
            "invalid seed '0' for --seed: expected a non-zero number (0 means: seed from the clock)");
    }
    if (const auto* v = get("lease")) {
      spec_.lease_ns = parse_duration(*v, "--lease");
      if (spec_.lease_ns == 0)
        throw UserError("invalid lease '0' for --lease: expected a duration > 0, e.g. 3s");
    }
    const std::string id = has("id") ? *get("id") : generate_fault_id(rule_.kind);
    check_id(id);
    copy_field(spec_.id, id, "--id");
  }

  void match() {
    abi::Match& m = spec_.match;
    if (const auto* v = get("dst")) {
      const Endpoint ep = parse_endpoint(*v, "--dst");
      m.family = ep.family;
      m.prefix_len = ep.prefix_len;
      m.dst_port = ep.port;
      std::memcpy(m.addr, ep.addr.data(), sizeof m.addr);
    }
    if (const auto* v = get("src-port")) m.src_port = parse_port(*v, "--src-port");
    if (const auto* v = get("proto")) {
      static constexpr std::string_view kProtos[] = {"any", "tcp", "udp", "unix"};
      m.proto = static_cast<std::uint8_t>(choose(*v, "--proto", kProtos));
    }
    if (const auto* v = get("dir")) {
      static constexpr std::string_view kDirs[] = {"both", "egress", "ingress"};
      m.dir = static_cast<std::uint8_t>(choose(*v, "--dir", kDirs));
    }
    if (const auto* v = get("sql")) {
      copy_field(m.sql_regex, *v, "--sql");
      try {
        std::regex check(*v, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        throw UserError("invalid regex '" + *v + "' for --sql (" + e.what() +
                        "): expected an ECMAScript regular expression, e.g. '^INSERT INTO trades'");
      }
    }
    if (const auto* v = get("db")) copy_field(m.db, *v, "--db");
  }

  template <std::size_t N>
  std::size_t choose(std::string_view value, std::string_view option, const std::string_view (&names)[N]) {
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == value) return i;
    std::string expected;
    for (std::size_t i = 0; i < N; ++i)
      expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i]);
    throw UserError("invalid value '" + std::string(value) + "' for " + std::string(option) + ": expected " +
                    expected);
  }

  void params() {
    switch (rule_.kind) {
      case FaultKind::kLatency:
        latency();
        break;
      case FaultKind::kLoss:
        loss();
        break;
      case FaultKind::kRefuse:
        spec_.err = has("errno") ? parse_errno(*get("errno"), "--errno") : ECONNREFUSED;
        break;
      case FaultKind::kBandwidth:
        spec_.rate_bytes_per_s = parse_rate(*get("rate"), "--rate");
        break;
      case FaultKind::kSlice: {
        const std::uint64_t max = parse_size(*get("max"), "--max");
        if (max == 0) throw UserError("invalid size '0' for --max: expected at least 1 byte");
        spec_.slice_max = static_cast<std::uint32_t>(max);
        break;
      }
      case FaultKind::kReorder:
        spec_.gap = has("gap") ? parse_positive_u32(*get("gap"), "--gap") : 1;
        break;
      case FaultKind::kErrno:
        spec_.err = parse_errno(*get("errno"), "--errno");
        break;
      case FaultKind::kDns:
        dns();
        break;
      case FaultKind::kStall:
      case FaultKind::kPqSlow:
        spec_.delay_ns = positive_duration("delay");
        break;
      case FaultKind::kPqError:
        pq_error();
        break;
      default:
        break;
    }
  }

  std::int64_t positive_duration(std::string_view option) {
    const std::string flag = "--" + std::string(option);
    const std::int64_t ns = parse_duration(*get(option), flag);
    if (ns == 0)
      throw UserError(std::string(name()) + " with " + flag + " 0 does nothing: expected a duration > 0");
    return ns;
  }

  void latency() {
    spec_.delay_ns = parse_duration(*get("delay"), "--delay");
    if (const auto* v = get("jitter")) spec_.jitter_ns = parse_duration(*v, "--jitter");
    if (spec_.delay_ns == 0 && spec_.jitter_ns == 0)
      throw UserError(
          "latency with --delay 0 and no --jitter does nothing: expected a delay > 0, e.g. 200ms");
    const bool varies = spec_.jitter_ns > 0;
    if (const auto* v = get("correlation")) {
      if (!varies)
        throw UserError(
            "--correlation needs --jitter: expected e.g. --delay 200ms --jitter 50ms --correlation 75");
      spec_.correlation_ppm = parse_percent_ppm(*v, "--correlation");
    }
    if (const auto* v = get("distribution")) {
      if (!varies)
        throw UserError(
            "--distribution needs --jitter: expected e.g. --delay 200ms --jitter 50ms --distribution normal");
      static constexpr std::string_view kDists[] = {"uniform", "normal", "pareto", "paretonormal"};
      spec_.distribution = static_cast<std::uint8_t>(choose(*v, "--distribution", kDists));
    }
  }

  void loss() {
    spec_.rto_ns = has("rto") ? parse_duration(*get("rto"), "--rto") : kDefaultRtoNs;
    const bool pct = has("pct");
    const bool ge = has("gemodel");
    if (pct == ge)
      throw UserError(
          pct ? "loss takes --pct or --gemodel, not both: expected --pct P [--correlation C] or "
                "--gemodel p,r,1-h,1-k"
              : "loss needs --pct P (the loss probability) or --gemodel p,r,1-h,1-k: expected e.g. "
                "loss --pct 5");
    spec_.pct_ppm = kPpm;  // every call draws from the loss model
    if (ge) {
      if (has("correlation"))
        throw UserError(
            "--correlation does not combine with --gemodel: expected one of them (the model already "
            "makes losses bursty)");
      const GeModelPpm g = parse_gemodel(*get("gemodel"), "--gemodel");
      spec_.loss_model = static_cast<std::uint8_t>(abi::LossModel::kGilbertElliott);
      spec_.ge_p_ppm = g.p;
      spec_.ge_r_ppm = g.r;
      spec_.ge_1h_ppm = g.one_minus_h;
      spec_.ge_1k_ppm = g.one_minus_k;
      return;
    }
    spec_.loss_ppm = parse_percent_ppm(*get("pct"), "--pct");
    spec_.loss_model = static_cast<std::uint8_t>(abi::LossModel::kBernoulli);
    if (const auto* v = get("correlation")) {
      spec_.correlation_ppm = parse_percent_ppm(*v, "--correlation");
      spec_.loss_model = static_cast<std::uint8_t>(abi::LossModel::kCorrelated);
    }
  }

  void dns() {
    copy_field(spec_.host_glob, *get("host"), "--host");
    if (spec_.host_glob[0] == '\0')
      throw UserError("empty --host for dns: expected a host name glob, e.g. '*.example.com'");
    const bool delay = has("delay");
    if (delay == has("fail"))
      throw UserError("dns takes one of --delay D or --fail: expected e.g. dns --host db.internal --fail");
    if (delay) spec_.delay_ns = positive_duration("delay");
    spec_.dns_fail = delay ? 0 : 1;
  }

  void pq_error() {
    const std::string& s = *get("sqlstate");
    const bool ok = s.size() == 5 && std::all_of(s.begin(), s.end(), [](char c) {
                      return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
                    });
    if (!ok)
      throw UserError("invalid SQLSTATE '" + s +
                      "' for --sqlstate: expected 5 digits or capital letters, e.g. "
                      "40001, 40P01, 57P01, 53300");
    copy_field(spec_.sqlstate, s, "--sqlstate");
    if (const auto* v = get("message")) copy_field(spec_.message, *v, "--message");
  }

  const KindRule& rule_;
  const GivenOptions& given_;
  abi::FaultSpec spec_{};
};

}  // namespace

std::string known_fault_names() {
  std::string out;
  for (const KindRule& r : kRules)
    out += (out.empty() ? "" : ", ") + std::string(cp::fault_kind_name(r.kind));
  return out;
}

abi::FaultSpec build_fault(std::string_view kind_name, const GivenOptions& given) {
  abi::FaultKind kind = abi::FaultKind::kNone;
  const std::string name(kind_name);
  const KindRule* rule = nullptr;
  if (cp::parse_fault_kind(name.c_str(), &kind))
    for (const KindRule& r : kRules)
      if (r.kind == kind) rule = &r;
  if (rule == nullptr)
    throw UserError("unknown fault '" + name + "': expected one of " + known_fault_names());
  abi::FaultSpec spec = Builder(*rule, given).build();
  char reason[abi::kReasonLen] = {};
  if (!cp::validate_fault(spec, reason, sizeof reason))
    throw UserError("invalid " + name + " fault: " + reason);
  return spec;
}

}  // namespace faultline::cli
