// Human-readable renderings shared by the commands.
#pragma once

#include <cstdint>
#include <string>

#include "faultline/controlplane/abi.h"

namespace faultline::cli {

std::string format_duration(std::int64_t ns);        // "250us", "1.5s", "2m", "0"
std::string format_age(std::int64_t ns);             // "3h02m", "5m12s", "42s", "850ms"
std::string format_percent(std::uint32_t ppm);       // "75%", "0.5%"
std::string format_rate(std::uint64_t bytes_per_s);  // "1MB/s", "1.25MB/s"
std::string format_endpoint(const abi::Match& m);    // "10.0.0.0/8:5432", "[::1]:80", ":9000", "" (any)

// The kind and its parameters: "latency 200ms±50ms, 75% correlated".
std::string describe_fault(const abi::FaultSpec& spec);
// What it matches, "" for everything: "dst 10.0.0.0/8:5432, udp, egress".
std::string describe_match(const abi::Match& m);
// Bounded copy of a fixed-size char field that may lack its NUL.
template <std::size_t N>
std::string field_string(const char (&s)[N]) {
  std::size_t n = 0;
  while (n < N && s[n] != '\0') ++n;
  return std::string(s, n);
}

}  // namespace faultline::cli
