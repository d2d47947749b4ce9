// Prices as integer ticks of 1/10000 of the currency unit, as exchanges
// publish them: no rounding drift between the feed, the services and the
// database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace faultline::demo {

using Price = std::int64_t;
inline constexpr Price kTicksPerUnit = 10'000;

inline double price_to_double(Price ticks) {
  return static_cast<double>(ticks) / kTicksPerUnit;
}

// 101.25 -> 1012500; nullopt when the value is not finite or out of range.
std::optional<Price> price_from_double(double value);

// 1012500 -> "101.2500" (exact, for SQL numeric columns and logs).
std::string format_price(Price ticks);

}  // namespace faultline::demo
