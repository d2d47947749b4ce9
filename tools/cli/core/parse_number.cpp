#include <charconv>
#include <cmath>
#include <string>

#include "decimal.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace detail {

bool split_decimal(std::string_view text, long double* value, std::string_view* rest) noexcept {
  std::size_t i = 0;
  long double v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') v = v * 10 + (text[i++] - '0');
  if (i == 0) return false;
  if (i < text.size() && text[i] == '.') {
    std::size_t j = i + 1;
    long double scale = 0.1L;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      v += (text[j++] - '0') * scale;
      scale /= 10;
    }
    if (j == i + 1) return false;  // "1." is not a number
    i = j;
  }
  *value = v;
  *rest = text.substr(i);
  return true;
}

bool scale_to_integer(long double value, long double scale, std::uint64_t max, std::uint64_t* out) noexcept {
  const long double scaled = std::round(value * scale);
  if (!(scaled >= 0) || scaled > static_cast<long double>(max)) return false;
  *out = static_cast<std::uint64_t>(scaled);
  return true;
}

}  // namespace detail

std::uint64_t parse_count(std::string_view text, std::string_view option, std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v > max)
    throw UserError("invalid number '" + std::string(text) + "' for " + std::string(option) +
                    ": expected a whole number from 0 to " + std::to_string(max));
  return v;
}

std::uint16_t parse_port(std::string_view text, std::string_view option) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v == 0 || v > 65535)
    throw UserError("invalid port '" + std::string(text) + "' for " + std::string(option) +
                    ": expected a number from 1 to 65535");
  return static_cast<std::uint16_t>(v);
}

std::uint32_t parse_percent_ppm(std::string_view text, std::string_view option) {
  long double v = 0;
  std::string_view rest;
  std::uint64_t ppm = 0;
  const bool ok = detail::split_decimal(text, &v, &rest) && (rest.empty() || rest == "%") &&
                  detail::scale_to_integer(v, 10000.0L, 1'000'000, &ppm);
  if (!ok)
    throw UserError("invalid percentage '" + std::string(text) + "' for " + std::string(option) +
                    ": expected a number from 0 to 100, optionally followed by %, e.g. 75 or 0.5%");
  return static_cast<std::uint32_t>(ppm);
}

}  // namespace faultline::cli
