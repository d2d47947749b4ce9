// JUnit, summary and SVG timeline from a journal.
#include "faultline/experiment/outputs.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

// A journal as the runner writes it, with two violations and a recovery.
Json sample_journal() {
  Json samples = Json::array();
  for (int i = 0; i < 20; ++i) {
    const bool bad = i == 8 || i == 9;
    samples.push_back({{"t", 0.1 * i},
                       {"phase", i < 3    ? "before"
                                 : i < 15 ? "during"
                                          : "after"},
                       {"values", {{"p99 & <latency>", bad ? 250.0 : 10.0 + i}}},
                       {"met", {{"p99 & <latency>", !bad}}}});
  }
  const Json probe_record = {{"activity", {{"name", "p99 & <latency>"}, {"type", "probe"}}},
                             {"status", "succeeded"},
                             {"output", 10},
                             {"duration", 0.01},
                             {"tolerance_met", true}};
  return {
      {"chaoslib-version", "1.42.0"},
      {"platform", "Linux"},
      {"node", "host"},
      {"experiment", {{"title", "latency \"quoted\" & <escaped>"}}},
      {"start", "2026-12-07T02:00:00.000000"},
      {"end", "2026-12-07T02:00:02.000000"},
      {"duration", 2.0},
      {"status", "failed"},
      {"deviated", true},
      {"steady_states",
       {{"before", {{"steady_state_met", true}, {"probes", {probe_record}}}},
        {"after", {{"steady_state_met", true}, {"probes", {probe_record}}}},
        {"during", Json::array()}}},
      {"run",
       {{{"activity", {{"name", "inject"}, {"type", "action"}}},
         {"status", "succeeded"},
         {"duration", 0.1}}}},
      {"rollbacks",
       {{{"activity", {{"name", "clear"}, {"type", "action"}}},
         {"status", "failed"},
         {"duration", 0.1},
         {"exception", {"ActivityFailed: boom"}}}}},
      {"faultline",
       {{"exit_code", 1},
        {"hypothesis", "fast"},
        {"probes", {{{"name", "p99 & <latency>"}, {"tolerance", {{"type", "range"}, {"range", {0, 200}}}}}}},
        {"window", {{"start_s", 0.3}, {"end_s", 1.5}}},
        {"violations",
         {{{"t_s", 0.8},
           {"elapsed_s", 0.5},
           {"probes", {{{"probe", "p99 & <latency>"}, {"reason", "250 outside [0, 200]"}}}}},
          {{"t_s", 0.9},
           {"elapsed_s", 0.6},
           {"probes", {{{"probe", "p99 & <latency>"}, {"reason", "250 outside [0, 200]"}}}}}}},
        {"recovered", true},
        {"time_to_recover_s", 0.25},
        {"settings", {{"recovery_timeout_s", 30}, {"max_time_to_recover_s", nullptr}}},
        {"latency",
         {{{"probe", "p99 & <latency>"},
           {"source", "telemetry histogram"},
           {"before", {{"p99", 10.0}}},
           {"during", {{"p99", 250.0}}},
           {"after", {{"p99", 11.0}}}}}},
        {"deviation_reasons", {"2 violation(s) during the fault window (allowed 0)"}},
        {"samples", samples}}}};
}

TEST(Outputs, ShouldWriteWellFormedJUnitWithAFailurePerViolatedPhase) {
  const std::string xml = junit_xml(sample_journal());
  EXPECT_EQ(test::xml_problem(xml), "") << xml;
  EXPECT_NE(xml.find("<testcase classname=\"steady-state.before\" name=\"p99 &amp; &lt;latency&gt;\""),
            std::string::npos);
  EXPECT_NE(xml.find("2 violation(s) during the fault window; first at +0.500s"), std::string::npos) << xml;
  EXPECT_NE(xml.find("classname=\"recovery\" name=\"time-to-recover\" time=\"0.250\"/>"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error message=\"ActivityFailed: boom\">"), std::string::npos);
  EXPECT_NE(xml.find("tests=\"6\" failures=\"1\" errors=\"1\""), std::string::npos) << xml;
}

TEST(Outputs, ShouldSummariseOnOneScreen) {
  const std::string text = summary_text(sample_journal());
  EXPECT_NE(text.find("Status:     failed, deviated (exit 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("during:  2 violation(s) in 12 samples"), std::string::npos) << text;
  EXPECT_NE(text.find("recovery: 0.250s after the fault window"), std::string::npos) << text;
  EXPECT_NE(text.find("before 10.000ms  during 250.000ms  after 11.000ms"), std::string::npos) << text;
  EXPECT_NE(text.find("Result:     DEVIATED"), std::string::npos);
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 25);
}

TEST(Outputs, ShouldDrawAStandaloneSvgTimeline) {
  const std::string svg = timeline_svg(sample_journal());
  EXPECT_EQ(test::xml_problem(svg), "") << svg;
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"fault-window\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"recovered\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"tolerance\""), std::string::npos);
  std::size_t marks = 0;
  for (std::size_t at = svg.find("class=\"violation\""); at != std::string::npos;
       at = svg.find("class=\"violation\"", at + 1))
    ++marks;
  EXPECT_EQ(marks, 2u);
}

TEST(Outputs, ShouldWriteFilesAtomicallyAndNameTheFailingPath) {
  test::TempDir dir;
  write_text_file(dir / "sub" / "out.txt", "hello");
  EXPECT_EQ(test::read_file(dir / "sub" / "out.txt"), "hello");
  try {
    write_text_file("/proc/forbidden/x.json", "{}");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/forbidden/x.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace faultline::experiment
