#include "faultline/demo/wall_clock.h"

#include <cstdio>
#include <ctime>

namespace faultline::demo {

std::int64_t wall_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::string format_utc_iso8601(std::int64_t ns_since_epoch) {
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  std::int64_t seconds = ns_since_epoch / kNsPerSecond;
  std::int64_t ns = ns_since_epoch % kNsPerSecond;
  if (ns < 0) {  // floor division for times before the epoch
    ns += kNsPerSecond;
    --seconds;
  }
  const auto whole = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(ns / 1000));
  return text;
}

}  // namespace faultline::demo
