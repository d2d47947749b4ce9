// telemetry switches recording; stats reports it as text, JSON and the
// Prometheus exposition format.
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli_fixture.h"

namespace faultline::clitest {
namespace {

using Stats = CliTest;

const nlohmann::json* find_target(const nlohmann::json& sample, pid_t pid) {
  for (const auto& t : sample.at("targets"))
    if (t.at("pid").get<pid_t>() == pid) return &t;
  return nullptr;
}

TEST_F(Stats, ShouldReportUdpCallsAndLatencyAfterTelemetryIsSwitchedOn) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});
  ASSERT_FALSE(echo.client->telemetry().enabled);

  const CliResult on = run_cli({"telemetry", "-l", label, "on"});
  ASSERT_EQ(on.code(), 0) << on.err;
  EXPECT_NE(on.out.find("telemetry on in 1 target: " + std::to_string(echo.pid())), std::string::npos)
      << on.out;
  EXPECT_TRUE(echo.client->telemetry().enabled);
  ASSERT_GT(ping(echo.port, 50).received, 0u);

  const CliResult r = run_cli({"stats", "-l", label, "--json", "--interval", "100ms"});
  ASSERT_EQ(r.code(), 0) << r.err;
  const nlohmann::json sample = nlohmann::json::parse(r.out);
  EXPECT_GT(sample.at("mono_ns").get<std::int64_t>(), 0);
  EXPECT_GT(sample.at("wall_ns").get<std::int64_t>(), 0);
  const nlohmann::json* t = find_target(sample, echo.pid());
  ASSERT_NE(t, nullptr) << r.out;
  EXPECT_TRUE(t->at("telemetry_enabled").get<bool>());
  int udp_classes = 0;
  for (const auto& c : t->at("classes")) {
    const std::string name = c.at("class");
    if (name.rfind("udp_", 0) != 0) continue;
    ++udp_classes;
    EXPECT_GT(c.at("calls").get<std::uint64_t>(), 0u) << name;
    EXPECT_GT(c.at("p99_ns").get<std::uint64_t>(), 0u) << name;
    EXPECT_LE(c.at("p50_ns").get<std::uint64_t>(), c.at("p99_ns").get<std::uint64_t>()) << name;
  }
  EXPECT_GE(udp_classes, 1) << r.out;

  const CliResult text = run_cli({"stats", "-l", label, "--interval", "100ms"});
  ASSERT_EQ(text.code(), 0) << text.err;
  EXPECT_NE(text.out.find("udp_"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("p99.9"), std::string::npos) << text.out;

  const CliResult off = run_cli({"telemetry", "-l", label, "off"});
  ASSERT_EQ(off.code(), 0) << off.err;
  EXPECT_FALSE(echo.client->telemetry().enabled);
}

TEST_F(Stats, ShouldSayHowToEnableTelemetryWhenItIsOff) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});

  const CliResult r = run_cli({"stats", "-l", label, "--interval", "50ms"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(echo.pid()) + " udp_echo [" + label +
                       "]: telemetry is off: enable it with "
                       "'faultline telemetry -p " +
                       std::to_string(echo.pid()) + " on'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("launch --telemetry"), std::string::npos) << r.out;
}

TEST_F(Stats, ShouldRepeatSamplesWhenWatching) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label, "--telemetry"});
  std::vector<std::string> argv{cli_path(), "stats", "-l", label, "--watch", "--json", "--interval", "50ms"};
  testing::SpawnOptions options;
  options.preload = false;
  testing::Process watch = testing::Process::spawn(argv, options);
  std::int64_t previous = 0;
  for (int i = 0; i < 3; ++i) {
    const std::optional<std::string> line = watch.read_line(10s);
    ASSERT_TRUE(line.has_value());
    const std::int64_t mono = nlohmann::json::parse(*line).at("mono_ns").get<std::int64_t>();
    EXPECT_GT(mono, previous);
    previous = mono;
  }
}

// One sample line: name{labels} value.
const std::regex kSampleLine(
    R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\} ([-+0-9.eE]+|\+Inf|NaN)$)");
const std::regex kHelpOrType(
    R"(^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$)");

TEST_F(Stats, ShouldPrintAValidPrometheusExpositionWithCumulativeBuckets) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label, "-l", "zone.name=a", "--telemetry"});
  ASSERT_GT(ping(echo.port, 30).received, 0u);

  const CliResult r = run_cli({"stats", "-l", label, "--prometheus", "--interval", "50ms"});
  ASSERT_EQ(r.code(), 0) << r.err;
  // Per histogram (its labels without le): the bucket counts in order, and its _count.
  std::map<std::string, std::vector<std::pair<std::string, double>>> buckets;
  std::map<std::string, double> counts;
  std::size_t samples = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("#", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, kHelpOrType)) << line;
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSampleLine)) << line;
    ++samples;
    const std::string name = m[1], labels = m[2];
    EXPECT_EQ(name.rfind("faultline_", 0), 0u) << line;
    if (name == "faultline_call_duration_seconds_bucket") {
      const std::size_t le = labels.find(",le=\"");
      ASSERT_NE(le, std::string::npos) << line;
      const std::string bound = labels.substr(le + 5, labels.size() - le - 6);
      buckets[labels.substr(0, le)].emplace_back(bound, std::stod(m[3]));
    } else if (name == "faultline_call_duration_seconds_count") {
      counts[labels] = std::stod(m[3]);
    }
  }
  EXPECT_GT(samples, 0u);
  EXPECT_NE(r.out.find("label_zone_name=\"a\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("class=\"udp_"), std::string::npos) << r.out;
  ASSERT_FALSE(buckets.empty()) << r.out;
  for (const auto& [labels, series] : buckets) {
    ASSERT_GE(series.size(), 2u) << labels;
    EXPECT_EQ(series.back().first, "+Inf") << labels;
    for (std::size_t i = 1; i < series.size(); ++i) {
      EXPECT_LE(series[i - 1].second, series[i].second) << labels << " le=" << series[i].first;
      if (i + 1 < series.size()) {
        EXPECT_LT(std::stod(series[i - 1].first), std::stod(series[i].first)) << labels;
      }
    }
    ASSERT_EQ(counts.count(labels), 1u) << labels;
    EXPECT_EQ(counts[labels], series.back().second) << labels;
  }
}

}  // namespace
}  // namespace faultline::clitest
