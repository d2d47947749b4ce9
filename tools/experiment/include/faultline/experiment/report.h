// `faultline report`: what a history of runs says. MTTR (mean time to
// recover), deviations per ISO week, and P99 during the fault window against
// the baseline, as a table and an SVG chart.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace faultline::experiment {

// Journal files, or folders whose *.json journals are read (state files and
// unreadable files are skipped with a warning).
std::vector<nlohmann::json> load_journals(const std::vector<std::filesystem::path>& inputs,
                                          std::vector<std::string>* warnings);

// {"runs": [...], "mttr_s", "mttr_runs", "not_recovered", "weeks": [{week, runs, deviated}],
//  "experiments": [{title, runs, deviated, mttr_s, p99_before_ms, p99_during_ms, ratio}]}
nlohmann::json aggregate_journals(const std::vector<nlohmann::json>& journals);

std::string report_table(const nlohmann::json& aggregate);
std::string report_svg(const nlohmann::json& aggregate);

// "2026-W49" for an ISO-8601 time (UTC).
std::string iso_week(const std::string& timestamp);

}  // namespace faultline::experiment
