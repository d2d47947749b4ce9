// Sizes and rates. Decimal prefixes are powers of 1000 and binary ones powers
// of 1024 (see parse.h); bit units exist only in rates.
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>

#include "decimal.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

struct Unit {
  std::string_view name;
  long double bytes;
};
constexpr Unit kByteUnits[] = {{"", 1.0L},       {"B", 1.0L},         {"kB", 1e3L},
                               {"KB", 1e3L},     {"MB", 1e6L},        {"GB", 1e9L},
                               {"KiB", 1024.0L}, {"MiB", 1048576.0L}, {"GiB", 1073741824.0L}};
// Matched case-insensitively: "bit" leaves no doubt about what is meant.
constexpr Unit kBitUnits[] = {{"bit", 1.0L / 8}, {"kbit", 1e3L / 8}, {"mbit", 1e6L / 8}, {"gbit", 1e9L / 8}};

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

// Bytes per `unit`, or 0 if the unit is unknown.
long double unit_bytes(std::string_view unit, bool allow_bits) {
  for (const Unit& u : kByteUnits)
    if (u.name == unit) return u.bytes;
  if (allow_bits)
    for (const Unit& u : kBitUnits)
      if (equals_ignore_case(unit, u.name)) return u.bytes;
  return 0;
}

}  // namespace

std::uint64_t parse_size(std::string_view text, std::string_view option) {
  long double value = 0;
  std::string_view unit;
  std::uint64_t bytes = 0;
  long double scale = 0;
  if (!detail::split_decimal(text, &value, &unit) || (scale = unit_bytes(unit, false)) == 0 ||
      !detail::scale_to_integer(value, scale, std::numeric_limits<std::uint32_t>::max(), &bytes))
    throw UserError("invalid size '" + std::string(text) + "' for " + std::string(option) +
                    ": expected bytes with an optional unit (B, kB, MB, GB = 1000^n; KiB, MiB, GiB = "
                    "1024^n) below 4GiB, e.g. 64KB");
  return bytes;
}

std::uint64_t parse_rate(std::string_view text, std::string_view option) {
  long double value = 0;
  std::string_view unit;
  std::uint64_t bytes = 0;
  long double scale = 0;
  const bool ok = detail::split_decimal(text, &value, &unit) && unit.size() >= 2 &&
                  unit.substr(unit.size() - 2) == "/s" &&
                  (scale = unit_bytes(unit.substr(0, unit.size() - 2), true)) != 0 &&
                  detail::scale_to_integer(value, scale, std::numeric_limits<std::int64_t>::max(), &bytes) &&
                  bytes > 0;
  if (!ok)
    throw UserError("invalid rate '" + std::string(text) + "' for " + std::string(option) +
                    ": expected a positive amount per second such as 1MB/s, 500KB/s, 64KiB/s or 10Mbit/s");
  return bytes;
}

}  // namespace faultline::cli
