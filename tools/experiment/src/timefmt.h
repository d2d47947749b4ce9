// Calendar arithmetic and ISO-8601 text for journals, freshness checks and
// the scheduler. Civil dates use the proleptic Gregorian calendar.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::experiment {

using SystemTime = std::chrono::system_clock::time_point;

std::int64_t days_from_civil(int year, int month, int day);
void civil_from_days(std::int64_t days, int* year, int* month, int* day);
int weekday_from_days(std::int64_t days);  // 0 = Sunday

// "2026-12-07T02:00:00.123456" in UTC, as Chaos Toolkit journals write it.
std::string iso_utc(SystemTime t);
// "2026-12-07T02-00-00.123Z": safe in file names.
std::string file_stamp_utc(SystemTime t);

// ISO-8601 date-time: "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]" with an optional "Z"
// or "+HH:MM"/"+HHMM"/"+HH" offset; without one the time is UTC.
std::optional<SystemTime> parse_iso8601(std::string_view text);

}  // namespace faultline::experiment
