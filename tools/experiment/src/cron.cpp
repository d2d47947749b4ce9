#include "faultline/experiment/cron.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <sstream>
#include <vector>

#include "timefmt.h"

namespace faultline::experiment {

namespace {

struct Field {
  const char* name;
  int lo, hi;
  const char* const* names;  // index 0 = value lo (months start at 1)
  int name_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr Field kFields[] = {{"minute", 0, 59, nullptr, 0},
                             {"hour", 0, 23, nullptr, 0},
                             {"day-of-month", 1, 31, nullptr, 0},
                             {"month", 1, 12, kMonthNames, 12},
                             {"day-of-week", 0, 7, kDayNames, 7}};

std::optional<int> value_of(const Field& f, const std::string& token) {
  if (token.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    for (char c : token)
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (token.size() > 4) return std::nullopt;
    return std::stoi(token);
  }
  if (f.names == nullptr) return std::nullopt;
  std::string upper;
  for (char c : token) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int i = 0; i < f.name_count; ++i)
    if (upper == f.names[i]) return f.lo == 1 ? i + 1 : i;
  return std::nullopt;
}

// Parses one field into `bits` (indices lo..hi). False with `error` set.
bool parse_field(const Field& f, const std::string& text, std::vector<bool>* bits, std::string* error) {
  bits->assign(static_cast<std::size_t>(f.hi + 1), false);
  const auto bad = [&](const std::string& what) {
    *error = fmt::format("{} field '{}': {} (expected {}-{}{}, *, a-b, */n, a-b/n or a list)", f.name, text,
                         what, f.lo, f.hi, f.names ? " or a name" : "");
    return false;
  };
  std::stringstream items(text);
  std::string item;
  int count = 0;
  while (std::getline(items, item, ',')) {
    ++count;
    if (item.empty()) return bad("empty list item");
    std::string range = item;
    int step = 1;
    bool stepped = false;
    if (const auto slash = item.find('/'); slash != std::string::npos) {
      range = item.substr(0, slash);
      const std::string s = item.substr(slash + 1);
      if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
        return bad("step '" + s + "' is not a number");
      step = std::stoi(s);
      stepped = true;
      if (step < 1) return bad("step must be at least 1");
    }
    int lo = 0, hi = 0;
    if (range == "*") {
      lo = f.lo;
      hi = f.hi == 7 ? 6 : f.hi;
    } else if (const auto dash = range.find('-'); dash != std::string::npos) {
      const auto a = value_of(f, range.substr(0, dash));
      const auto b = value_of(f, range.substr(dash + 1));
      if (!a || !b) return bad("'" + range + "' is not a range");
      lo = *a;
      hi = *b;
      if (lo > hi) return bad("range " + range + " runs backwards");
    } else {
      const auto a = value_of(f, range);
      if (!a) return bad("'" + range + "' is not a number" + std::string(f.names ? " or a name" : ""));
      lo = *a;
      hi = stepped ? (f.hi == 7 ? 6 : f.hi) : *a;  // "a/n" means a to the end, every n
    }
    if (lo < f.lo || hi > f.hi) return bad(fmt::format("value out of range {}-{}", f.lo, f.hi));
    for (int v = lo; v <= hi; v += step) (*bits)[static_cast<std::size_t>(v)] = true;
  }
  if (count == 0) return bad("empty field");
  return true;
}

int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return days[month - 1];
}

std::int64_t to_minutes(const CivilMinute& m) {
  return days_from_civil(m.year, m.month, m.day) * 1440 + m.hour * 60 + m.minute;
}

CivilMinute from_minutes(std::int64_t total) {
  std::int64_t days = total >= 0 ? total / 1440 : (total - 1439) / 1440;
  const std::int64_t rest = total - days * 1440;
  CivilMinute m;
  civil_from_days(days, &m.year, &m.month, &m.day);
  m.hour = static_cast<int>(rest / 60);
  m.minute = static_cast<int>(rest % 60);
  return m;
}

}  // namespace

std::optional<CivilMinute> parse_civil_minute(std::string_view text) {
  const auto t = parse_iso8601(text);
  if (!t) return std::nullopt;
  if (text.size() > 16) {
    // Only the minute counts; an offset is not allowed (civil local time).
    const std::string_view rest = text.substr(16);
    if (rest.find_first_of("Zz+") != std::string_view::npos || rest.find('-') != std::string_view::npos)
      return std::nullopt;
  }
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(t->time_since_epoch()).count();
  return from_minutes(minutes);
}

std::string to_string(const CivilMinute& m) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}", m.year, m.month, m.day, m.hour, m.minute);
}

CivilMinute add_minutes(const CivilMinute& m, long long minutes) {
  return from_minutes(to_minutes(m) + minutes);
}

long long minutes_between(const CivilMinute& from, const CivilMinute& to) {
  return to_minutes(to) - to_minutes(from);
}

int day_of_week(const CivilMinute& m) {
  return weekday_from_days(days_from_civil(m.year, m.month, m.day));
}

CivilMinute local_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return CivilMinute{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
}

std::optional<CronExpr> CronExpr::parse(std::string_view text, std::string* error) {
  std::string expr(text);
  while (!expr.empty() && std::isspace(static_cast<unsigned char>(expr.back()))) expr.pop_back();
  while (!expr.empty() && std::isspace(static_cast<unsigned char>(expr.front()))) expr.erase(expr.begin());
  CronExpr cron;
  cron.text_ = expr;
  if (!expr.empty() && expr[0] == '@') {
    static const std::pair<const char*, const char*> macros[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"}};
    for (const auto& [name, fields] : macros)
      if (expr == name) {
        auto parsed = parse(fields, error);
        if (parsed) parsed->text_ = expr;
        return parsed;
      }
    *error = "'" + expr + "' is not a cron macro (expected @yearly, @monthly, @weekly, @daily, @hourly)";
    return std::nullopt;
  }
  std::vector<std::string> fields;
  std::stringstream in(expr);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    *error = fmt::format("'{}' has {} field(s) (expected 5: minute hour day-of-month month day-of-week)",
                         expr, fields.size());
    return std::nullopt;
  }
  std::vector<bool> bits;
  for (std::size_t i = 0; i < 5; ++i) {
    if (!parse_field(kFields[i], fields[i], &bits, error)) return std::nullopt;
    for (std::size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          cron.minutes_.set(v);
          break;
        case 1:
          cron.hours_.set(v);
          break;
        case 2:
          cron.days_.set(v);
          break;
        case 3:
          cron.months_.set(v);
          break;
        case 4:
          cron.weekdays_.set(v % 7);
          break;
      }
    }
  }
  cron.dom_star_ = fields[2][0] == '*';
  cron.dow_star_ = fields[4][0] == '*';
  return cron;
}

bool CronExpr::day_matches(int year, int month, int day) const {
  const bool dom = days_.test(static_cast<std::size_t>(day));
  const bool dow =
      weekdays_.test(static_cast<std::size_t>(weekday_from_days(days_from_civil(year, month, day))));
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

bool CronExpr::matches(const CivilMinute& m) const {
  return minutes_.test(static_cast<std::size_t>(m.minute)) && hours_.test(static_cast<std::size_t>(m.hour)) &&
         months_.test(static_cast<std::size_t>(m.month)) && day_matches(m.year, m.month, m.day);
}

std::optional<CivilMinute> CronExpr::next_after(const CivilMinute& from) const {
  CivilMinute m = add_minutes(from, 1);
  const int last_year = from.year + 8;
  while (m.year <= last_year) {
    if (!months_.test(static_cast<std::size_t>(m.month))) {
      m = m.month == 12 ? CivilMinute{m.year + 1, 1, 1, 0, 0} : CivilMinute{m.year, m.month + 1, 1, 0, 0};
      continue;
    }
    if (!day_matches(m.year, m.month, m.day)) {
      m = m.day >= days_in_month(m.year, m.month)
              ? (m.month == 12 ? CivilMinute{m.year + 1, 1, 1, 0, 0}
                               : CivilMinute{m.year, m.month + 1, 1, 0, 0})
              : CivilMinute{m.year, m.month, m.day + 1, 0, 0};
      continue;
    }
    if (!hours_.test(static_cast<std::size_t>(m.hour))) {
      m = add_minutes(CivilMinute{m.year, m.month, m.day, m.hour, 0}, 60);
      continue;
    }
    if (!minutes_.test(static_cast<std::size_t>(m.minute))) {
      m = add_minutes(m, 1);
      continue;
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace faultline::experiment
