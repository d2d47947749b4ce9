#include <cstdint>
#include <limits>
#include <string>

#include "decimal.h"
#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

constexpr const char* kExpected = "expected a number with a unit (ns, us, ms, s, m, h), e.g. 200ms";

struct Unit {
  std::string_view name;
  long double ns;
};
constexpr Unit kUnits[] = {{"ns", 1.0L}, {"us", 1e3L}, {"\xC2\xB5s", 1e3L},  // µs
                           {"ms", 1e6L}, {"s", 1e9L},  {"m", 60e9L},        {"h", 3600e9L}};

}  // namespace

std::int64_t parse_duration(std::string_view text, std::string_view option) {
  const std::string what = "'" + std::string(text) + "' for " + std::string(option);
  if (!text.empty() && text.front() == '-') throw UserError("negative duration " + what + ": " + kExpected);
  long double value = 0;
  std::string_view unit;
  if (!detail::split_decimal(text, &value, &unit))
    throw UserError("invalid duration " + what + ": " + kExpected);
  if (unit.empty()) {
    if (value == 0) return 0;
    throw UserError("duration " + what + " has no unit: " + kExpected);
  }
  for (const Unit& u : kUnits) {
    if (u.name != unit) continue;
    std::uint64_t ns = 0;
    if (!detail::scale_to_integer(value, u.ns, std::numeric_limits<std::int64_t>::max(), &ns))
      throw UserError("duration " + what + " is too long: expected at most about 292 years");
    return static_cast<std::int64_t>(ns);
  }
  throw UserError("invalid duration " + what + " (unknown unit '" + std::string(unit) + "'): " + kExpected);
}

}  // namespace faultline::cli
