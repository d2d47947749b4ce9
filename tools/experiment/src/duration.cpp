#include "faultline/experiment/duration.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace faultline::experiment {

namespace {

std::optional<double> unit_in_ns(std::string_view unit) {
  if (unit.empty() || unit == "s" || unit == "sec") return 1e9;
  if (unit == "ns") return 1.0;
  if (unit == "us" || unit == "\xC2\xB5s") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "m" || unit == "min") return 60e9;
  if (unit == "h") return 3600e9;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  char* end = nullptr;
  const double number = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(number) || number < 0) return std::nullopt;
  if (s.front() == '+' || s.front() == '-') return std::nullopt;
  const auto unit = unit_in_ns(std::string_view(end));
  if (!unit) return std::nullopt;
  const double ns = number * *unit;
  if (ns > 9.0e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

std::optional<std::chrono::nanoseconds> duration_from_json(const nlohmann::json& value) {
  if (value.is_number()) {
    const double s = value.get<double>();
    if (!std::isfinite(s) || s < 0 || s > 9.0e9) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(s * 1e9)));
  }
  if (value.is_string()) return parse_duration(value.get<std::string>());
  return std::nullopt;
}

std::string format_duration(std::chrono::nanoseconds d) {
  const auto ns = d.count();
  if (ns == 0) return "0s";
  if (ns < 1'000) return fmt::format("{}ns", ns);
  if (ns < 1'000'000) return fmt::format("{:g}us", static_cast<double>(ns) / 1e3);
  if (ns < 1'000'000'000) return fmt::format("{:g}ms", static_cast<double>(ns) / 1e6);
  if (ns < 120'000'000'000) return fmt::format("{:g}s", static_cast<double>(ns) / 1e9);
  const auto total_s = ns / 1'000'000'000;
  if (total_s % 60 == 0) return fmt::format("{}m", total_s / 60);
  return fmt::format("{}m{}s", total_s / 60, total_s % 60);
}

}  // namespace faultline::experiment
