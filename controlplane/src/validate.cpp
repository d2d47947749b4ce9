#include "faultline/controlplane/validate.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace faultline::cp {
namespace {

using abi::FaultKind;

constexpr const char* kFaultKindNames[] = {
    "none",      "latency", "loss",  "reset", "blackhole", "refuse",   "bandwidth", "slice",    "corrupt",
    "duplicate", "reorder", "errno", "dns",   "stall",     "pq-sever", "pq-slow",   "pq-error", "pq-refuse"};
static_assert(std::size(kFaultKindNames) == static_cast<std::size_t>(FaultKind::kCount));

constexpr const char* kCallClassNames[] = {
    "tcp_connect",   "tcp_accept",     "tcp_send",  "tcp_recv", "udp_send",   "udp_recv",
    "unix_send",     "unix_recv",      "other_io",  "dns",      "pq_connect", "pq_query",
    "pq_round_trip", "injected_delay", "reserved0", "reserved1"};
static_assert(std::size(kCallClassNames) == abi::kCallClasses);

constexpr const char* kEventTypeNames[] = {"none",          "fault_armed",   "fault_fired",
                                           "fault_expired", "fault_cleared", "command_rejected",
                                           "internal_error"};
static_assert(std::size(kEventTypeNames) == static_cast<std::size_t>(abi::EventType::kCount));

// Writes the reason and returns false, so that checks read `return fail(...)`.
class Reasons {
 public:
  Reasons(char* buf, std::size_t cap) noexcept : buf_(buf), cap_(cap) {}
  bool fail(const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3))) {
    if (buf_ != nullptr && cap_ > 0) {
      va_list args;
      va_start(args, fmt);
      std::vsnprintf(buf_, cap_, fmt, args);
      va_end(args);
    }
    return false;
  }

 private:
  char* buf_;
  std::size_t cap_;
};

constexpr double kSecond = 1e9;

bool in_range(std::int64_t v, std::int64_t lo, std::int64_t hi) noexcept {
  return v >= lo && v <= hi;
}

// A fault id: what a shell word and a Prometheus label value hold safely.
template <std::size_t N>
bool check_id(const char (&id)[N], const char* field, Reasons& r) noexcept {
  if (!is_terminated(id)) return r.fail("%s: not NUL-terminated within %zu bytes", field, N);
  if (id[0] == '\0') return r.fail("%s: empty", field);
  for (std::size_t i = 0; id[i] != '\0'; ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c <= 0x20 || c >= 0x7f)
      return r.fail("%s: byte 0x%02x at %zu is not printable ASCII without spaces", field, c, i);
  }
  return true;
}

template <std::size_t N>
bool check_terminated(const char (&s)[N], const char* field, Reasons& r) noexcept {
  return is_terminated(s) ? true : r.fail("%s: not NUL-terminated within %zu bytes", field, N);
}

bool check_ppm(std::uint32_t v, const char* field, Reasons& r) noexcept {
  return v <= kPpmOne ? true : r.fail("%s: %u exceeds %u (100%%)", field, v, kPpmOne);
}

bool check_duration(std::int64_t v, std::int64_t lo, std::int64_t hi, const char* field,
                    Reasons& r) noexcept {
  if (in_range(v, lo, hi)) return true;
  return r.fail("%s: %lld ns, expected %lld..%lld ns (%.0f s)", field, static_cast<long long>(v),
                static_cast<long long>(lo), static_cast<long long>(hi), static_cast<double>(hi) / kSecond);
}

bool check_match(const abi::Match& m, Reasons& r) noexcept {
  if (m.family != 0 && m.family != 4 && m.family != 6)
    return r.fail("match.family: %u, expected 0 (any), 4 or 6", m.family);
  const unsigned max_prefix = m.family == 4 ? 32 : m.family == 6 ? 128 : 0;
  if (m.prefix_len > max_prefix)
    return r.fail("match.prefix_len: %u, expected at most %u for family %u", m.prefix_len, max_prefix,
                  m.family);
  if (m.proto >= static_cast<std::uint8_t>(abi::Proto::kCount))
    return r.fail("match.proto: %u, expected 0..%u", m.proto, static_cast<unsigned>(abi::Proto::kCount) - 1);
  if (m.dir >= static_cast<std::uint8_t>(abi::Direction::kCount))
    return r.fail("match.dir: %u, expected 0..%u", m.dir, static_cast<unsigned>(abi::Direction::kCount) - 1);
  return check_terminated(m.sql_regex, "match.sql_regex", r) && check_terminated(m.db, "match.db", r);
}

bool is_sqlstate(const char (&s)[abi::kSqlStateLen]) noexcept {
  for (std::size_t i = 0; i < 5; ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z'))) return false;
  return s[5] == '\0';
}

// What each kind needs beyond the common ranges.
bool check_kind_parameters(const abi::FaultSpec& f, FaultKind kind, Reasons& r) noexcept {
  switch (kind) {
    case FaultKind::kLatency:
      if (f.delay_ns <= 0 && f.jitter_ns <= 0) return r.fail("latency: delay_ns or jitter_ns must be > 0");
      return true;
    case FaultKind::kLoss:
      if (f.loss_ppm == 0 && f.loss_model != static_cast<std::uint8_t>(abi::LossModel::kGilbertElliott))
        return r.fail("loss: loss_ppm must be > 0 unless loss_model is Gilbert-Elliott");
      return true;
    case FaultKind::kBandwidth:
      if (f.rate_bytes_per_s == 0) return r.fail("bandwidth: rate_bytes_per_s must be > 0");
      return true;
    case FaultKind::kSlice:
      if (f.slice_max == 0) return r.fail("slice: slice_max must be > 0");
      return true;
    case FaultKind::kErrno:
      if (f.err < 1) return r.fail("errno: err must be an errno in 1..%d", kMaxErrno);
      return true;
    case FaultKind::kDns:
      if (f.host_glob[0] == '\0') return r.fail("dns: host_glob is empty");
      if ((f.delay_ns > 0) == (f.dns_fail != 0))
        return r.fail("dns: expected either delay_ns > 0 or dns_fail");
      return true;
    case FaultKind::kStall:
    case FaultKind::kPqSlow:
      if (f.delay_ns <= 0) return r.fail("%s: delay_ns must be > 0", fault_kind_name(kind));
      return true;
    case FaultKind::kPqError:
      if (!is_sqlstate(f.sqlstate)) return r.fail("pq-error: sqlstate must be 5 characters of 0-9 or A-Z");
      return true;
    default:
      return true;
  }
}

}  // namespace

bool validate_fault(const abi::FaultSpec& f, char* reason, std::size_t cap) noexcept {
  Reasons r(reason, cap);
  if (!check_id(f.id, "id", r)) return false;
  if (f.kind == 0 || f.kind >= static_cast<std::uint16_t>(FaultKind::kCount))
    return r.fail("kind: %u is not a fault kind (1..%u)", f.kind,
                  static_cast<unsigned>(FaultKind::kCount) - 1);
  const auto kind = static_cast<FaultKind>(f.kind);
  if (!check_ppm(f.pct_ppm, "pct_ppm", r)) return false;
  if (!check_duration(f.after_ns, 0, kMaxLifetimeNs, "after_ns", r)) return false;
  if (!check_duration(f.for_ns, 1, kMaxLifetimeNs, "for_ns", r)) return false;
  if (!check_duration(f.lease_ns, 0, kMaxLifetimeNs, "lease_ns", r)) return false;
  if (!check_duration(f.delay_ns, 0, kMaxDelayNs, "delay_ns", r)) return false;
  if (!check_duration(f.jitter_ns, 0, kMaxDelayNs, "jitter_ns", r)) return false;
  if (!check_duration(f.rto_ns, 0, kMaxDelayNs, "rto_ns", r)) return false;
  if (f.distribution >= static_cast<std::uint8_t>(abi::Distribution::kCount))
    return r.fail("distribution: %u, expected 0..%u", f.distribution,
                  static_cast<unsigned>(abi::Distribution::kCount) - 1);
  if (f.loss_model >= static_cast<std::uint8_t>(abi::LossModel::kCount))
    return r.fail("loss_model: %u, expected 0..%u", f.loss_model,
                  static_cast<unsigned>(abi::LossModel::kCount) - 1);
  if (!check_ppm(f.correlation_ppm, "correlation_ppm", r) || !check_ppm(f.loss_ppm, "loss_ppm", r) ||
      !check_ppm(f.ge_p_ppm, "ge_p_ppm", r) || !check_ppm(f.ge_r_ppm, "ge_r_ppm", r) ||
      !check_ppm(f.ge_1h_ppm, "ge_1h_ppm", r) || !check_ppm(f.ge_1k_ppm, "ge_1k_ppm", r))
    return false;
  if (f.err < 0 || f.err > kMaxErrno)
    return r.fail("err: %d, expected 0 (the kind's default) or an errno in 1..%d", f.err, kMaxErrno);
  if (f.dns_fail > 1) return r.fail("dns_fail: %u, expected 0 or 1", f.dns_fail);
  if (!check_terminated(f.host_glob, "host_glob", r) || !check_terminated(f.sqlstate, "sqlstate", r) ||
      !check_terminated(f.message, "message", r))
    return false;
  if (!check_match(f.match, r)) return false;
  return check_kind_parameters(f, kind, r);
}

bool validate_command(const abi::Command& cmd, char* reason, std::size_t cap) noexcept {
  Reasons r(reason, cap);
  if (cmd.seq == 0) return r.fail("seq: 0 (commands are numbered from 1 by the submitting tool)");
  if (cmd.op < static_cast<std::uint16_t>(abi::CommandOp::kInject) ||
      cmd.op >= static_cast<std::uint16_t>(abi::CommandOp::kCount))
    return r.fail("op: %u is not a command (1..%u)", cmd.op,
                  static_cast<unsigned>(abi::CommandOp::kCount) - 1);
  if (cmd.submit_mono_ns < 0) return r.fail("submit_mono_ns: negative");
  if (!check_terminated(cmd.target_id, "target_id", r)) return false;
  const auto op = static_cast<abi::CommandOp>(cmd.op);
  const std::uint16_t allowed_flags = op == abi::CommandOp::kTelemetry ? 1 : 0;
  if ((cmd.flags & ~allowed_flags) != 0) return r.fail("flags: 0x%x has unknown bits", cmd.flags);
  switch (op) {
    case abi::CommandOp::kInject:
      return validate_fault(cmd.fault, reason, cap);
    case abi::CommandOp::kClear:
      return check_id(cmd.target_id, "target_id", r);
    case abi::CommandOp::kRenewLease:
      if (!check_duration(cmd.lease_ns, 1, kMaxLifetimeNs, "lease_ns", r)) return false;
      return cmd.target_id[0] == '\0' || check_id(cmd.target_id, "target_id", r);
    default:
      return true;
  }
}

const char* fault_kind_name(abi::FaultKind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return k != FaultKind::kNone && i < std::size(kFaultKindNames) ? kFaultKindNames[i] : "unknown";
}

bool parse_fault_kind(const char* name, abi::FaultKind* out) noexcept {
  if (name == nullptr) return false;
  for (std::size_t i = 1; i < std::size(kFaultKindNames); ++i) {
    if (std::strcmp(name, kFaultKindNames[i]) == 0) {
      *out = static_cast<FaultKind>(i);
      return true;
    }
  }
  return false;
}

const char* call_class_name(abi::CallClass c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < std::size(kCallClassNames) ? kCallClassNames[i] : "unknown";
}

const char* event_type_name(abi::EventType t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < std::size(kEventTypeNames) ? kEventTypeNames[i] : "unknown";
}

}  // namespace faultline::cp
