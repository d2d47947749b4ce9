// What a run leaves behind, all derived from its journal so they can be
// produced again later: JUnit XML for CI, a one-screen summary, and an SVG
// timeline (probe values over time, the fault window shaded, violations).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace faultline::experiment {

std::string junit_xml(const nlohmann::json& journal);
std::string summary_text(const nlohmann::json& journal);
std::string timeline_svg(const nlohmann::json& journal);

// Writes through a temporary file and a rename; throws std::runtime_error
// naming the path on failure.
void write_text_file(const std::filesystem::path& path, const std::string& content);

}  // namespace faultline::experiment
