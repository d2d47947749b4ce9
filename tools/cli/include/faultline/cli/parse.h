// Parsers for every value the CLI reads. Each takes the text and the option
// it came from, and throws UserError with one line naming both and what was
// expected, e.g. "invalid duration 'abc' for --delay: expected a number with
// a unit (ns, us, ms, s, m, h), e.g. 200ms".
//
// Units: decimal prefixes are powers of 1000 (kB/KB, MB, GB, kbit, Mbit,
// Gbit), as link rates are quoted: 10Mbit/s is 10,000,000 bit/s and 1MB/s is
// 1,000,000 bytes/s. Binary prefixes (KiB, MiB, GiB) are powers of 1024.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::cli {

// Nanoseconds from "250us", "200ms", "1.5s", "2m", "1h", "10ns" or "0"
// (only zero may omit the unit). Never negative.
std::int64_t parse_duration(std::string_view text, std::string_view option);

// Bytes from "512", "64KB", "1.5MB", "1MiB" (B, kB/KB, MB, GB, KiB, MiB, GiB).
std::uint64_t parse_size(std::string_view text, std::string_view option);

// Bytes per second from "1MB/s", "500KB/s", "10Mbit/s", "64KiB/s" (any size
// unit, or bit, kbit, Mbit, Gbit, followed by "/s"). Greater than zero.
std::uint64_t parse_rate(std::string_view text, std::string_view option);

// Parts per million from a percentage "75", "75%", "0.5" in [0, 100].
std::uint32_t parse_percent_ppm(std::string_view text, std::string_view option);

// A non-negative integer no greater than `max` ("12"; no sign, no unit).
std::uint64_t parse_count(std::string_view text, std::string_view option, std::uint64_t max);

// A TCP/UDP port 1..65535.
std::uint16_t parse_port(std::string_view text, std::string_view option);

// CIDR[:PORT]: "10.0.0.0/8:5432", "127.0.0.1" (a /32), "[::1]/128:80",
// "fe80::/10" (IPv6 without brackets takes no port), ":9000" (any address,
// port 9000). Host bits beyond the prefix must be zero.
struct Endpoint {
  std::uint8_t family = 0;  // 0 any, 4, 6
  std::uint8_t prefix_len = 0;
  std::array<std::uint8_t, 16> addr{};  // network order; IPv4 in the first 4 bytes
  std::uint16_t port = 0;               // 0 any
};
Endpoint parse_endpoint(std::string_view text, std::string_view option);

// An errno by name ("ECONNRESET", case-insensitive) or number ("104").
int parse_errno(std::string_view text, std::string_view option);
// A signal by name ("SIGTERM", "TERM", "term") or number ("15").
int parse_signal(std::string_view text, std::string_view option);

// "app=x,zone=a": keys and values non-empty, without spaces, ',' or '='.
using Labels = std::vector<std::pair<std::string, std::string>>;
Labels parse_labels(std::string_view text, std::string_view option);
// Labels as a target publishes them ("k=v,k=v"); lenient, never throws.
Labels split_labels(std::string_view text);
std::string join_labels(const Labels& labels);

// Gilbert-Elliott "p[,r[,1-h[,1-k]]]" in percent, as netem's gemodel:
// r defaults to 100, 1-h to 100, 1-k to 0.
struct GeModelPpm {
  std::uint32_t p = 0, r = 0, one_minus_h = 0, one_minus_k = 0;
};
GeModelPpm parse_gemodel(std::string_view text, std::string_view option);

}  // namespace faultline::cli
