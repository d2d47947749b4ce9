#include "faultline/cli/format.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <string.h>

#include <cstdint>
#include <string>

namespace faultline::cli {
namespace {

// Up to three decimals, trailing zeros dropped: 1.500 -> "1.5", 200.000 -> "200".
std::string trim_decimal(double v) {
  std::string s = fmt::format("{:.3f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0";
  const char* sign = ns < 0 ? "-" : "";
  const double v = ns < 0 ? -static_cast<double>(ns) : static_cast<double>(ns);
  struct Unit {
    double ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{3600e9, "h"}, {60e9, "m"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
  for (const Unit& u : kUnits)
    if (v >= u.ns) return sign + trim_decimal(v / u.ns) + u.name;
  return sign + trim_decimal(v) + "ns";
}

std::string format_age(std::int64_t ns) {
  if (ns < 0) ns = 0;
  const std::int64_t s = ns / 1'000'000'000;
  if (s < 1) return fmt::format("{}ms", ns / 1'000'000);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string format_percent(std::uint32_t ppm) {
  std::string s = fmt::format("{:.4f}", ppm / 10000.0);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

std::string format_rate(std::uint64_t bytes_per_s) {
  const double v = static_cast<double>(bytes_per_s);
  if (v >= 1e9) return trim_decimal(v / 1e9) + "GB/s";
  if (v >= 1e6) return trim_decimal(v / 1e6) + "MB/s";
  if (v >= 1e3) return trim_decimal(v / 1e3) + "kB/s";
  return fmt::format("{}B/s", bytes_per_s);
}

std::string format_endpoint(const abi::Match& m) {
  std::string out;
  if (m.family == 4 || m.family == 6) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(m.family == 4 ? AF_INET : AF_INET6, m.addr, text, sizeof text);
    const unsigned full = m.family == 4 ? 32 : 128;
    out = text;
    if (m.prefix_len != full) out += fmt::format("/{}", m.prefix_len);
    if (m.family == 6 && m.dst_port != 0) out = "[" + out + "]";
  }
  if (m.dst_port != 0) out += fmt::format(":{}", m.dst_port);
  return out;
}

std::string describe_match(const abi::Match& m) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  const std::string dst = format_endpoint(m);
  if (!dst.empty()) add("dst " + dst);
  if (m.src_port != 0) add(fmt::format("src-port {}", m.src_port));
  static constexpr const char* kProtos[] = {"any", "tcp", "udp", "unix"};
  if (m.proto != 0 && m.proto < 4) add(kProtos[m.proto]);
  static constexpr const char* kDirs[] = {"both", "egress", "ingress"};
  if (m.dir != 0 && m.dir < 3) add(kDirs[m.dir]);
  const std::string sql = field_string(m.sql_regex);
  if (!sql.empty()) add("sql /" + sql + "/");
  const std::string db = field_string(m.db);
  if (!db.empty()) add("db " + db);
  return out;
}

std::string describe_fault(const abi::FaultSpec& s) {
  using abi::FaultKind;
  const auto kind = static_cast<FaultKind>(s.kind);
  const auto errno_name = [](int e) {
    const char* n = strerrorname_np(e);
    return n != nullptr ? std::string(n) : fmt::format("errno {}", e);
  };
  const std::string chance = s.pct_ppm < 1'000'000 ? " " + format_percent(s.pct_ppm) : "";
  switch (kind) {
    case FaultKind::kLatency: {
      std::string out = "latency " + format_duration(s.delay_ns);
      if (s.jitter_ns > 0) out += "\u00b1" + format_duration(s.jitter_ns);
      static constexpr const char* kDists[] = {"uniform", "normal", "pareto", "paretonormal"};
      if (s.distribution != 0 && s.distribution < 4) out += std::string(" ") + kDists[s.distribution];
      if (s.correlation_ppm > 0) out += ", " + format_percent(s.correlation_ppm) + " correlated";
      if (!chance.empty()) out += "," + chance + " of calls";
      return out;
    }
    case FaultKind::kLoss: {
      std::string out;
      if (s.loss_model == static_cast<std::uint8_t>(abi::LossModel::kGilbertElliott)) {
        out =
            fmt::format("loss gemodel p={} r={} 1-h={} 1-k={}", format_percent(s.ge_p_ppm),
                        format_percent(s.ge_r_ppm), format_percent(s.ge_1h_ppm), format_percent(s.ge_1k_ppm));
      } else {
        out = "loss " + format_percent(s.loss_ppm);
        if (s.loss_model == static_cast<std::uint8_t>(abi::LossModel::kCorrelated))
          out += ", " + format_percent(s.correlation_ppm) + " correlated";
      }
      if (s.rto_ns > 0) out += ", tcp rto " + format_duration(s.rto_ns);
      return out;
    }
    case FaultKind::kRefuse:
      return "refuse " + errno_name(s.err) + chance;
    case FaultKind::kBandwidth:
      return "bandwidth " + format_rate(s.rate_bytes_per_s);
    case FaultKind::kSlice:
      return fmt::format("slice {} bytes", s.slice_max) + chance;
    case FaultKind::kReorder:
      return fmt::format("reorder{} gap {}", chance, s.gap);
    case FaultKind::kErrno:
      return "errno " + errno_name(s.err) + chance;
    case FaultKind::kDns:
      return "dns " + field_string(s.host_glob) +
             (s.dns_fail ? " fail" : " +" + format_duration(s.delay_ns)) + chance;
    case FaultKind::kStall:
      return "stall " + format_duration(s.delay_ns) + chance;
    case FaultKind::kPqSlow:
      return "pq-slow +" + format_duration(s.delay_ns) + chance;
    case FaultKind::kPqError: {
      std::string out = "pq-error " + field_string(s.sqlstate);
      const std::string msg = field_string(s.message);
      if (!msg.empty()) out += " '" + msg + "'";
      return out + chance;
    }
    case FaultKind::kReset:
      return "reset" + chance;
    case FaultKind::kBlackhole:
      return "blackhole" + chance;
    case FaultKind::kCorrupt:
      return "corrupt" + chance;
    case FaultKind::kDuplicate:
      return "duplicate" + chance;
    case FaultKind::kPqSever:
      return "pq-sever" + chance;
    case FaultKind::kPqRefuse:
      return "pq-refuse" + chance;
    default:
      return fmt::format("kind {}", s.kind);
  }
}

}  // namespace faultline::cli
