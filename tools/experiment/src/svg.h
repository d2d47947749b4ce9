// Small helpers for standalone SVG pictures (timeline and report charts).
#pragma once

#include <string>
#include <vector>

namespace faultline::experiment::svg {

std::string escape(const std::string& text);

// "Nice" axis ticks covering [lo, hi]: about `count` round numbers.
std::vector<double> ticks(double lo, double hi, int count);

// A number for axis labels: "0.5", "120", "1.2k".
std::string label(double v);

std::string header(int width, int height, const std::string& title);
std::string footer();

}  // namespace faultline::experiment::svg
