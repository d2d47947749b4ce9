#include "faultline/experiment/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "svg.h"
#include "timefmt.h"

namespace faultline::experiment {

using Json = nlohmann::json;

namespace {

std::optional<double> number(const Json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

Json opt(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::string fmt_opt(const Json& v, const char* unit) {
  return v.is_number() ? fmt::format("{:.3f}{}", v.get<double>(), unit) : "-";
}

}  // namespace

std::string iso_week(const std::string& timestamp) {
  const auto t = parse_iso8601(timestamp);
  if (!t) return "unknown";
  const std::int64_t days = std::chrono::floor<std::chrono::days>(t->time_since_epoch()).count();
  const int iso_dow = (weekday_from_days(days) + 6) % 7 + 1;  // Monday = 1
  const std::int64_t thursday = days - iso_dow + 4;
  int y = 0, m = 0, d = 0;
  civil_from_days(thursday, &y, &m, &d);
  const std::int64_t week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
  return fmt::format("{:04}-W{:02}", y, week);
}

std::vector<Json> load_journals(const std::vector<std::filesystem::path>& inputs,
                                std::vector<std::string>* warnings) {
  std::vector<std::filesystem::path> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(in, ec))
        if (entry.path().extension() == ".json" && entry.path().filename().string()[0] != '.')
          found.push_back(entry.path());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }
  std::vector<Json> journals;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      warnings->push_back(f.string() + ": cannot read");
      continue;
    }
    try {
      Json j = Json::parse(in);
      if (!j.is_object() || !j.contains("status") || !j.contains("experiment") ||
          !j["experiment"].is_object()) {
        warnings->push_back(f.string() + ": not a journal (no status/experiment)");
        continue;
      }
      const auto wrong = [&](const Json& o, const char* key, bool (Json::*is)() const noexcept) {
        return o.contains(key) && !o[key].is_null() && !(o[key].*is)();
      };
      if (wrong(j, "start", &Json::is_string) || wrong(j, "status", &Json::is_string) ||
          wrong(j, "deviated", &Json::is_boolean) || wrong(j, "faultline", &Json::is_object) ||
          wrong(j["experiment"], "title", &Json::is_string)) {
        warnings->push_back(f.string() + ": a journal field has the wrong type");
        continue;
      }
      for (const char* key : {"start", "status", "deviated", "faultline"})
        if (j.contains(key) && j[key].is_null()) j.erase(key);
      j["__file"] = f.string();
      journals.push_back(std::move(j));
    } catch (const Json::parse_error& e) {
      warnings->push_back(f.string() + ": not JSON (" + std::string(e.what()) + ")");
    }
  }
  std::sort(journals.begin(), journals.end(),
            [](const Json& a, const Json& b) { return a.value("start", "") < b.value("start", ""); });
  return journals;
}

Json aggregate_journals(const std::vector<Json>& journals) {
  Json runs = Json::array();
  std::map<std::string, std::pair<int, int>> weeks;
  struct PerExperiment {
    int runs = 0, deviated = 0;
    std::vector<double> ttr, before, during;
  };
  std::map<std::string, PerExperiment> experiments;
  std::vector<std::string> order;
  std::vector<double> ttr_after_deviation, ttr_all;
  int not_recovered = 0;
  for (const auto& j : journals) {
    const Json fl = j.value("faultline", Json::object());
    const std::string title = j["experiment"].value("title", "?");
    const bool deviated = j.value("deviated", false);
    const std::string start = j.value("start", "");
    const auto ttr = number(fl, "time_to_recover_s");
    const std::size_t violations = fl.value("violations", Json::array()).size();
    const Json p99 = fl.value("p99_ms", Json());
    const auto before = number(p99, "before"), during = number(p99, "during");
    runs.push_back({{"file", j.value("__file", "")},
                    {"title", title},
                    {"start", start},
                    {"status", j.value("status", "")},
                    {"deviated", deviated},
                    {"exit_code", fl.value("exit_code", Json())},
                    {"violations", violations},
                    {"time_to_recover_s", opt(ttr)},
                    {"p99_before_ms", opt(before)},
                    {"p99_during_ms", opt(during)}});
    auto& w = weeks[iso_week(start)];
    ++w.first;
    w.second += deviated;
    if (experiments.find(title) == experiments.end()) order.push_back(title);
    auto& e = experiments[title];
    ++e.runs;
    e.deviated += deviated;
    if (ttr) {
      ttr_all.push_back(*ttr);
      e.ttr.push_back(*ttr);
      if (violations > 0) ttr_after_deviation.push_back(*ttr);
    }
    if (fl.value("recovered", Json()) == Json(false)) ++not_recovered;
    if (before) e.before.push_back(*before);
    if (during) e.during.push_back(*during);
  }
  Json out;
  out["runs"] = runs;
  // MTTR counts the runs whose steady state was broken by the fault; when none
  // was, every recovery measured.
  const bool broken = !ttr_after_deviation.empty();
  out["mttr_s"] = opt(mean(broken ? ttr_after_deviation : ttr_all));
  out["mttr_basis"] = broken ? "runs with violations" : "all runs";
  out["mttr_runs"] = broken ? ttr_after_deviation.size() : ttr_all.size();
  out["not_recovered"] = not_recovered;
  out["weeks"] = Json::array();
  for (const auto& [week, counts] : weeks)
    out["weeks"].push_back({{"week", week}, {"runs", counts.first}, {"deviated", counts.second}});
  out["experiments"] = Json::array();
  for (const auto& title : order) {
    const auto& e = experiments[title];
    const auto b = mean(e.before), d = mean(e.during);
    out["experiments"].push_back({{"title", title},
                                  {"runs", e.runs},
                                  {"deviated", e.deviated},
                                  {"mttr_s", opt(mean(e.ttr))},
                                  {"p99_before_ms", opt(b)},
                                  {"p99_during_ms", opt(d)},
                                  {"ratio", b && d && *b > 0 ? Json(*d / *b) : Json(nullptr)}});
  }
  return out;
}

std::string report_table(const Json& a) {
  std::string out;
  const std::size_t runs = a["runs"].size();
  out += fmt::format("{} run(s)\n", runs);
  out += fmt::format("MTTR (mean time to recover): {} over {} {}{}\n", fmt_opt(a["mttr_s"], "s"),
                     a["mttr_runs"].get<std::size_t>(), a["mttr_basis"].get<std::string>(),
                     a["not_recovered"].get<int>() > 0
                         ? fmt::format("; {} run(s) did not recover", a["not_recovered"].get<int>())
                         : "");
  out += "\nDeviations per week\n";
  out += fmt::format("  {:<10} {:>6} {:>9}\n", "week", "runs", "deviated");
  for (const auto& w : a["weeks"])
    out += fmt::format("  {:<10} {:>6} {:>9}\n", w["week"].get<std::string>(), w["runs"].get<int>(),
                       w["deviated"].get<int>());
  out += "\nP99 during the fault window against the baseline\n";
  out += fmt::format("  {:<40} {:>5} {:>8} {:>10} {:>14} {:>14} {:>8}\n", "experiment", "runs", "deviated",
                     "MTTR", "P99 baseline", "P99 failure", "ratio");
  for (const auto& e : a["experiments"]) {
    std::string title = e["title"].get<std::string>();
    if (title.size() > 40) title = title.substr(0, 37) + "...";
    out += fmt::format("  {:<40} {:>5} {:>8} {:>10} {:>14} {:>14} {:>8}\n", title, e["runs"].get<int>(),
                       e["deviated"].get<int>(), fmt_opt(e["mttr_s"], "s"), fmt_opt(e["p99_before_ms"], "ms"),
                       fmt_opt(e["p99_during_ms"], "ms"),
                       e["ratio"].is_number() ? fmt::format("x{:.2f}", e["ratio"].get<double>()) : "-");
  }
  return out;
}

std::string report_svg(const Json& a) {
  constexpr int kWidth = 900, kLeft = 70, kRight = 30, kChart = 220;
  const Json& weeks = a["weeks"];
  const Json& exps = a["experiments"];
  const int height = 90 + kChart + 90 + kChart + 80;
  std::string out = svg::header(kWidth, height, "faultline report");
  out += fmt::format(
      "<text x=\"{}\" y=\"28\" font-size=\"16\" font-weight=\"bold\">faultline report: {} run(s)</text>\n",
      kLeft, a["runs"].size());
  out += fmt::format("<text x=\"{}\" y=\"50\" fill=\"#444\">MTTR {} ({} {}), {} not recovered</text>\n",
                     kLeft, svg::escape(fmt_opt(a["mttr_s"], "s")), a["mttr_runs"].get<std::size_t>(),
                     svg::escape(a["mttr_basis"].get<std::string>()), a["not_recovered"].get<int>());

  // Chart 1: runs and deviations per week.
  const int top1 = 80;
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-weight=\"bold\">Deviations per week</text>\n", kLeft,
                     top1 - 6);
  int max_runs = 1;
  for (const auto& w : weeks) max_runs = std::max(max_runs, w["runs"].get<int>());
  const double plot_w = kWidth - kLeft - kRight;
  const double slot = weeks.empty() ? plot_w : plot_w / static_cast<double>(weeks.size());
  out +=
      fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbfbfb\" stroke=\"#ccc\"/>\n",
                  kLeft, top1, plot_w, kChart);
  for (double t : svg::ticks(0, max_runs, 4)) {
    const double y = top1 + kChart - t / max_runs * kChart;
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{}</text>\n",
                       kLeft - 6, y + 3, svg::label(t));
  }
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    const double x = kLeft + slot * static_cast<double>(i) + slot * 0.15;
    const double bw = slot * 0.35;
    const int runs = weeks[i]["runs"].get<int>(), dev = weeks[i]["deviated"].get<int>();
    const double hr = static_cast<double>(runs) / max_runs * kChart,
                 hd = static_cast<double>(dev) / max_runs * kChart;
    out += fmt::format(
        "<rect class=\"runs\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"#95a5a6\"/>\n",
        x, top1 + kChart - hr, bw, hr);
    out += fmt::format(
        "<rect class=\"deviated\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"#c0392b\"/>\n",
        x + bw, top1 + kChart - hd, bw, hd);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\n",
                       x + bw, top1 + kChart + 14, svg::escape(weeks[i]["week"].get<std::string>()));
  }
  out += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" fill=\"#95a5a6\"/><text x=\"{2}\" y=\"{3}\" "
      "font-size=\"11\">runs</text><rect x=\"{4}\" y=\"{1}\" width=\"10\" height=\"10\" "
      "fill=\"#c0392b\"/><text "
      "x=\"{5}\" y=\"{3}\" font-size=\"11\">deviated</text>\n",
      kWidth - 200, top1 - 16, kWidth - 186, top1 - 7, kWidth - 140, kWidth - 126);

  // Chart 2: P99 baseline vs during failure per experiment.
  const int top2 = top1 + kChart + 90;
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">P99 during failure against the baseline (ms)</text>\n",
      kLeft, top2 - 6);
  double max_p99 = 0;
  for (const auto& e : exps)
    for (const char* k : {"p99_before_ms", "p99_during_ms"})
      if (e[k].is_number()) max_p99 = std::max(max_p99, e[k].get<double>());
  if (max_p99 <= 0) max_p99 = 1;
  const auto ticks = svg::ticks(0, max_p99, 4);
  const double top_value = std::max(max_p99, ticks.empty() ? max_p99 : ticks.back());
  out +=
      fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbfbfb\" stroke=\"#ccc\"/>\n",
                  kLeft, top2, plot_w, kChart);
  for (double t : ticks) {
    const double y = top2 + kChart - t / top_value * kChart;
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{}</text>\n",
                       kLeft - 6, y + 3, svg::label(t));
  }
  const double slot2 = exps.empty() ? plot_w : plot_w / static_cast<double>(exps.size());
  for (std::size_t i = 0; i < exps.size(); ++i) {
    const double x = kLeft + slot2 * static_cast<double>(i) + slot2 * 0.15;
    const double bw = slot2 * 0.35;
    for (int k = 0; k < 2; ++k) {
      const Json& v = exps[i][k == 0 ? "p99_before_ms" : "p99_during_ms"];
      if (!v.is_number()) continue;
      const double h = v.get<double>() / top_value * kChart;
      out += fmt::format(
          "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{:.3f} "
          "ms</title></rect>\n",
          k == 0 ? "baseline" : "failure", x + bw * k, top2 + kChart - h, bw, h,
          k == 0 ? "#2980b9" : "#e67e22", v.get<double>());
    }
    std::string title = exps[i]["title"].get<std::string>();
    if (title.size() > 28) title = title.substr(0, 25) + "...";
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\n",
                       x + bw, top2 + kChart + 14, svg::escape(title));
  }
  out += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" fill=\"#2980b9\"/><text x=\"{2}\" y=\"{3}\" "
      "font-size=\"11\">baseline</text><rect x=\"{4}\" y=\"{1}\" width=\"10\" height=\"10\" "
      "fill=\"#e67e22\"/><text "
      "x=\"{5}\" y=\"{3}\" font-size=\"11\">during failure</text>\n",
      kWidth - 230, top2 - 16, kWidth - 216, top2 - 7, kWidth - 150, kWidth - 136);
  out += svg::footer();
  return out;
}

}  // namespace faultline::experiment
