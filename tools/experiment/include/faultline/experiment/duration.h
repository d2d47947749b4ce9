// Durations as experiments and schedules write them: "250us", "200ms",
// "1.5s", "2m", "1h", or a bare number of seconds (Chaos Toolkit's pauses and
// timeouts are plain numbers).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::experiment {

// nullopt when the text is not a duration (empty, negative, unknown unit).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// A JSON number (seconds) or a duration string; nullopt otherwise.
std::optional<std::chrono::nanoseconds> duration_from_json(const nlohmann::json& value);

inline double to_seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// "1.5s", "200ms", "2m30s": short and exact enough for messages.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace faultline::experiment
