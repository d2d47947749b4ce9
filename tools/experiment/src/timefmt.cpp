#include "timefmt.h"

#include <fmt/format.h>

#include <cctype>

namespace faultline::experiment {

// Howard Hinnant's algorithms (public domain), valid far beyond our range.
std::int64_t days_from_civil(int year, int month, int day) {
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

int weekday_from_days(std::int64_t days) {
  return static_cast<int>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

namespace {

struct Split {
  std::int64_t days;
  std::int64_t second_of_day;
  std::int64_t micros;
};

Split split(SystemTime t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::int64_t secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  const std::int64_t micros = us - secs * 1'000'000;
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  return {days, secs - days * 86400, micros};
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string iso_utc(SystemTime t) {
  const Split s = split(t);
  int y = 0, m = 0, d = 0;
  civil_from_days(s.days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}", y, m, d, s.second_of_day / 3600,
                     s.second_of_day / 60 % 60, s.second_of_day % 60, s.micros);
}

std::string file_stamp_utc(SystemTime t) {
  const Split s = split(t);
  int y = 0, m = 0, d = 0;
  civil_from_days(s.days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:03}Z", y, m, d, s.second_of_day / 3600,
                     s.second_of_day / 60 % 60, s.second_of_day % 60, s.micros / 1000);
}

std::optional<SystemTime> parse_iso8601(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, &year) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, &month) || s[7] != '-' ||
      !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &hour) ||
      s[13] != ':' || !digits(s, 14, 2, &minute))
    return std::nullopt;
  std::size_t pos = 16;
  double fraction = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, &second)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      double scale = 0.1;
      const std::size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        fraction += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::int64_t offset_s = 0;
  if (pos < s.size()) {
    const char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int oh = 0, om = 0;
      if (!digits(s, pos + 1, 2, &oh)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size()) {
        if (!digits(s, pos, 2, &om)) return std::nullopt;
        pos += 2;
      }
      offset_s = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t secs =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  const auto us = secs * 1'000'000 + static_cast<std::int64_t>(fraction * 1e6 + 0.5);
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(us)));
}

}  // namespace faultline::experiment
