// Five-field cron expressions as cron(8) reads them: minute hour
// day-of-month month day-of-week; numbers, *, ranges a-b, steps */n a-b/n
// a/n, lists, month and day names (JAN, MON), 0 or 7 for Sunday, @daily and
// friends. Day-of-month and day-of-week: when both are restricted (neither
// field starts with '*'), a day matches if either does, as cron does.
#pragma once

#include <bitset>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::experiment {

// A minute of local civil time.
struct CivilMinute {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0;
  auto operator<=>(const CivilMinute&) const = default;
};

// "2026-12-07T02:00" (also "2026-12-07 02:00", seconds ignored).
std::optional<CivilMinute> parse_civil_minute(std::string_view text);
std::string to_string(const CivilMinute& m);
CivilMinute add_minutes(const CivilMinute& m, long long minutes);
long long minutes_between(const CivilMinute& from, const CivilMinute& to);
int day_of_week(const CivilMinute& m);  // 0 = Sunday
CivilMinute local_now();

class CronExpr {
 public:
  // nullopt with `error` naming the field and what was expected.
  static std::optional<CronExpr> parse(std::string_view text, std::string* error);

  bool matches(const CivilMinute& m) const;
  // The first matching minute strictly after `m`; nullopt if none within
  // eight years (e.g. "0 0 30 2 *").
  std::optional<CivilMinute> next_after(const CivilMinute& m) const;

  const std::string& text() const noexcept { return text_; }

 private:
  bool day_matches(int year, int month, int day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  bool dom_star_ = false, dow_star_ = false;
};

}  // namespace faultline::experiment
