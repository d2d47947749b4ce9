#include "faultline/demo/price.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace faultline::demo {

std::optional<Price> price_from_double(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  const double ticks = std::round(value * kTicksPerUnit);
  if (std::fabs(ticks) > 9.0e15) return std::nullopt;  // beyond exact doubles
  return static_cast<Price>(ticks);
}

std::string format_price(Price ticks) {
  const auto magnitude = static_cast<unsigned long long>(ticks < 0 ? -ticks : ticks);
  char text[32];
  std::snprintf(text, sizeof text, "%s%llu.%04llu", ticks < 0 ? "-" : "", magnitude / kTicksPerUnit,
                magnitude % kTicksPerUnit);
  return text;
}

}  // namespace faultline::demo
