// The timeline picture of one run: a panel per hypothesis probe with its
// values over time, tolerance bounds, the fault window shaded, violations
// marked, and the moment the steady state came back.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "faultline/experiment/outputs.h"
#include "faultline/experiment/tolerance.h"
#include "svg.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

constexpr int kWidth = 1000, kLeft = 80, kRight = 30, kTop = 70, kPanel = 130, kGap = 42, kBottom = 50;

struct Scale {
  double lo, hi;
  double px_lo, px_hi;
  double map(double v) const {
    return hi > lo ? px_lo + (v - lo) / (hi - lo) * (px_hi - px_lo) : (px_lo + px_hi) / 2;
  }
};

double number_or(const Json& j, const char* key, double fallback) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

}  // namespace

std::string timeline_svg(const Json& journal) {
  const Json& fl = journal.contains("faultline") ? journal["faultline"] : Json::object();
  const Json probes = fl.value("probes", Json::array());
  const Json samples = fl.value("samples", Json::array());
  const Json violations = fl.value("violations", Json::array());
  const std::string title =
      journal.contains("experiment") ? journal["experiment"].value("title", "experiment") : "experiment";

  double t_end = number_or(journal, "duration", 0);
  for (const auto& s : samples) t_end = std::max(t_end, number_or(s, "t", 0));
  if (t_end <= 0) t_end = 1;
  const std::size_t panels = std::max<std::size_t>(1, probes.size());
  const int height = kTop + static_cast<int>(panels) * (kPanel + kGap) + kBottom;
  const Scale x{0, t_end, kLeft, kWidth - kRight};

  std::string out = svg::header(kWidth, height, title + " - faultline timeline");
  const std::string status = journal.value("status", "?");
  const bool deviated = journal.value("deviated", false);
  out += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n", kLeft,
                     svg::escape(title));
  std::string sub =
      fmt::format("status {}{} | exit {} | {} samples | {} violations", status, deviated ? " (deviated)" : "",
                  fl.value("exit_code", -1), samples.size(), violations.size());
  if (fl.contains("time_to_recover_s") && fl["time_to_recover_s"].is_number())
    sub += fmt::format(" | recovered {:.3f}s after the window", fl["time_to_recover_s"].get<double>());
  if (fl.contains("halted") && fl["halted"].is_object()) sub += " | halted";
  out += fmt::format("<text x=\"{}\" y=\"44\" fill=\"#444\">{}</text>\n", kLeft, svg::escape(sub));
  // legend
  out += fmt::format(
      "<rect x=\"{0}\" y=\"52\" width=\"14\" height=\"10\" fill=\"#f4a6a6\" fill-opacity=\"0.45\"/>"
      "<text x=\"{1}\" y=\"61\" font-size=\"11\">fault window</text>"
      "<circle cx=\"{2}\" cy=\"57\" r=\"4\" fill=\"#c0392b\"/><text x=\"{3}\" y=\"61\" "
      "font-size=\"11\">violation</text>"
      "<line x1=\"{4}\" y1=\"57\" x2=\"{5}\" y2=\"57\" stroke=\"#27ae60\" stroke-width=\"2\"/>"
      "<text x=\"{6}\" y=\"61\" font-size=\"11\">recovered</text>\n",
      kWidth - 330, kWidth - 312, kWidth - 220, kWidth - 212, kWidth - 140, kWidth - 122, kWidth - 116);

  const double win_start =
      fl.contains("window") && fl["window"].is_object() ? number_or(fl["window"], "start_s", -1) : -1;
  const double win_end =
      fl.contains("window") && fl["window"].is_object() ? number_or(fl["window"], "end_s", -1) : -1;
  const double ttr = fl.contains("time_to_recover_s") && fl["time_to_recover_s"].is_number()
                         ? fl["time_to_recover_s"].get<double>()
                         : -1;

  for (std::size_t p = 0; p < panels; ++p) {
    const int top = kTop + static_cast<int>(p) * (kPanel + kGap);
    const int bottom = top + kPanel;
    const std::string name = p < probes.size() ? probes[p].value("name", "") : "(no hypothesis probes)";
    const Json tolerance = p < probes.size() ? probes[p].value("tolerance", Json()) : Json();

    // value range: the samples and the tolerance bounds
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    std::vector<std::pair<double, std::optional<double>>> points;
    std::vector<std::pair<double, bool>> met;
    for (const auto& s : samples) {
      const double t = number_or(s, "t", 0);
      std::optional<double> v;
      if (s.contains("values") && s["values"].contains(name) && s["values"][name].is_number())
        v = s["values"][name].get<double>();
      if (v) {
        lo = std::min(lo, *v);
        hi = std::max(hi, *v);
      }
      points.emplace_back(t, v);
      if (s.contains("met") && s["met"].contains(name)) met.emplace_back(t, s["met"][name].get<bool>());
    }
    std::optional<std::pair<double, double>> bounds;
    if (tolerance.is_object() && tolerance.value("type", "") == "range")
      bounds = {tolerance["range"][0].get<double>(), tolerance["range"][1].get<double>()};
    if (tolerance.is_array() && tolerance.size() == 2 && tolerance[0].is_number() && tolerance[1].is_number())
      bounds = {tolerance[0].get<double>(), tolerance[1].get<double>()};
    if (bounds) {
      lo = std::min(lo, bounds->first);
      hi = std::max(hi, bounds->second);
    }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    }
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double pad = (hi - lo) * 0.08;
    const Scale y{lo - pad, hi + pad, static_cast<double>(bottom), static_cast<double>(top)};

    out += fmt::format("<g class=\"panel\" data-probe=\"{}\">\n", svg::escape(name));
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbfbfb\" stroke=\"#cccccc\"/>\n", kLeft,
        top, kWidth - kLeft - kRight, kPanel);
    if (win_start >= 0 && win_end >= win_start)
      out += fmt::format(
          "<rect class=\"fault-window\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"#f4a6a6\" "
          "fill-opacity=\"0.45\"/>\n",
          x.map(win_start), top, std::max(1.0, x.map(win_end) - x.map(win_start)), kPanel);
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>", kLeft, top - 8,
                       svg::escape(name));
    if (!tolerance.is_null())
      out += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#666\" text-anchor=\"end\">tolerance {}</text>",
                         kWidth - kRight, top - 8, svg::escape(describe_tolerance(tolerance)));
    out += "\n";
    for (double tick : svg::ticks(lo, hi, 4)) {
      const double py = y.map(tick);
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e6e6e6\"/><text x=\"{}\" "
          "y=\"{:.1f}\" "
          "text-anchor=\"end\" font-size=\"10\" fill=\"#555\">{}</text>\n",
          kLeft, py, kWidth - kRight, py, kLeft - 6, py + 3, svg::label(tick));
    }
    if (bounds) {
      for (double b : {bounds->first, bounds->second})
        out += fmt::format(
            "<line class=\"tolerance\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#2980b9\" "
            "stroke-dasharray=\"5,4\"/>\n",
            kLeft, y.map(b), kWidth - kRight, y.map(b));
    }
    // the series, broken where a probe gave no number
    std::string path;
    bool pen = false;
    for (const auto& [t, v] : points) {
      if (!v) {
        pen = false;
        continue;
      }
      path += fmt::format("{}{:.1f},{:.1f} ", pen ? "L" : "M", x.map(t), y.map(*v));
      pen = true;
    }
    if (!path.empty())
      out += fmt::format(
          "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"#34495e\" stroke-width=\"1.5\"/>\n", path);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const auto& [t, v] = points[i];
      const bool ok = i < met.size() ? met[i].second : true;
      if (ok) continue;
      const double py = v ? y.map(*v) : static_cast<double>(top + 8);
      out += fmt::format(
          "<circle class=\"violation\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"#c0392b\"/>\n", x.map(t),
          py);
    }
    if (win_end >= 0 && ttr >= 0) {
      const double tx = x.map(win_end + ttr);
      out += fmt::format(
          "<line class=\"recovered\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#27ae60\" "
          "stroke-width=\"2\"/>\n",
          tx, top, bottom);
    }
    out += "</g>\n";
  }
  // time axis
  const int axis_y = kTop + static_cast<int>(panels) * (kPanel + kGap) - kGap + 4;
  for (double tick : svg::ticks(0, t_end, 10))
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{}s</text>\n",
        x.map(tick), axis_y + 12, svg::label(tick));
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\">seconds since the run started</text>\n",
      (kLeft + kWidth - kRight) / 2, axis_y + 30);
  out += svg::footer();
  return out;
}

}  // namespace faultline::experiment
