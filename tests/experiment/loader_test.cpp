#include <gtest/gtest.h>
#include <stdlib.h>

#include "faultline/experiment/experiment.h"
#include "faultline/experiment/load_error.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using test::data_path;

// Loads a bad file and returns the error; fails the test if it loads.
LoadError load_error(const std::string& name) {
  try {
    load_experiment(data_path(name), {{"http_port", "1"}});
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << name << " loaded although it is invalid";
  return LoadError("", 0, "");
}

LoadError parse_error(const std::string& text, const std::string& name) {
  try {
    parse_experiment(text, name);
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << "the experiment parsed although it is invalid";
  return LoadError("", 0, "");
}

TEST(Loader, ShouldReadAChaosToolkitYamlExperiment) {
  const Experiment e =
      load_experiment(data_path("holds.yaml"), {{"http_port", "8080"}, {"tcp_port", "9000"}});
  EXPECT_EQ(e.title, "local targets stay healthy");
  EXPECT_EQ(e.tags, (std::vector<std::string>{"test", "steady"}));
  EXPECT_EQ(e.hypothesis_title, "health answers, true is true, the port is open");
  ASSERT_EQ(e.hypothesis.size(), 3u);
  EXPECT_EQ(e.hypothesis[0].provider["url"], "http://127.0.0.1:8080/health");
  EXPECT_EQ(e.hypothesis[2].provider["port"], 9000);  // "${tcp_port}" alone keeps the value's type
  EXPECT_EQ(*e.hypothesis[0].tolerance, 200);
  ASSERT_EQ(e.method.size(), 2u);
  EXPECT_EQ(e.method[0].provider["arguments"][1], "echo method > /tmp/method-ran");  // env default
  EXPECT_EQ(e.method[1].name, "health-ok");  // a ref to the hypothesis probe
  EXPECT_EQ(e.method[1].type, "probe");
  ASSERT_EQ(e.rollbacks.size(), 1u);
  EXPECT_EQ(e.settings.sample_interval, std::chrono::milliseconds(20));
  EXPECT_EQ(e.settings.duration, std::chrono::milliseconds(200));
  EXPECT_EQ(e.settings.recovery_timeout, std::chrono::seconds(5));
  EXPECT_EQ(e.declared["title"], "local targets stay healthy");
}

TEST(Loader, ShouldTakeConfigurationFromTheEnvironmentAndFromVars) {
  ::setenv("FAULTLINE_TEST_MARKER_DIR", "/var/tmp/x", 1);
  const std::string text = R"({
    "title": "env ${where}",
    "configuration": {"where": {"type": "env", "key": "FAULTLINE_TEST_MARKER_DIR"}, "port": 1},
    "secrets": {"db": {"password": "hunter2"}},
    "method": [{"type": "action", "name": "a", "provider": {"type": "tcp", "port": "${port}"}}]
  })";
  const Experiment e = parse_experiment(text, "env.json", {{"port", "5432"}});
  EXPECT_EQ(e.title, "env /var/tmp/x");
  EXPECT_EQ(e.method[0].provider["port"], 5432);
  EXPECT_EQ(e.declared["secrets"]["db"]["password"], "***");  // never written to a journal
  ::unsetenv("FAULTLINE_TEST_MARKER_DIR");
  const LoadError missing = parse_error(text, "env.json");
  EXPECT_EQ(missing.line(), 3);
  EXPECT_NE(missing.message().find("environment variable FAULTLINE_TEST_MARKER_DIR is not set"),
            std::string::npos);
}

TEST(Loader, ShouldReportAMissingTitleWithTheFileAndLine) {
  const LoadError e = load_error("bad/missing-title.json");
  EXPECT_EQ(e.file(), data_path("bad/missing-title.json").string());
  EXPECT_EQ(e.line(), 1);
  EXPECT_NE(e.message().find("missing 'title'"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).rfind(data_path("bad/missing-title.json").string() + ":1: ", 0), 0u)
      << e.what();
}

TEST(Loader, ShouldReportAProbeWithoutToleranceAtItsLine) {
  const LoadError e = load_error("bad/probe-without-tolerance.yaml");
  EXPECT_EQ(e.line(), 5) << e.what();
  EXPECT_NE(e.message().find("'health'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("without 'tolerance'"), std::string::npos) << e.what();
}

TEST(Loader, ShouldNameAnUnknownProviderAtItsLine) {
  const LoadError e = load_error("bad/unknown-provider.yaml");
  EXPECT_EQ(e.line(), 11) << e.what();
  EXPECT_NE(e.message().find("unknown provider type 'kubernetes'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("expected process, http, tcp, sql or faultline"), std::string::npos);
}

TEST(Loader, ShouldRefusePythonProvidersWithAClearMessage) {
  const LoadError e = load_error("bad/python-provider.json");
  EXPECT_EQ(e.line(), 10) << e.what();
  EXPECT_NE(e.message().find("provider 'python' is not supported by faultline: use process or http"),
            std::string::npos)
      << e.what();
}

TEST(Loader, ShouldReportAMalformedDurationAtItsLine) {
  const LoadError e = load_error("bad/malformed-duration.yaml");
  EXPECT_EQ(e.line(), 4) << e.what();
  EXPECT_NE(e.message().find("malformed duration \"fast\""), std::string::npos) << e.what();
  const LoadError pause = load_error("bad/malformed-pause.json");
  EXPECT_EQ(pause.line(), 8) << pause.what();
  EXPECT_NE(pause.message().find("pauses.after"), std::string::npos) << pause.what();
}

TEST(Loader, ShouldReportYamlSyntaxErrorsWithTheLine) {
  const LoadError e = load_error("bad/yaml-syntax.yaml");
  EXPECT_GE(e.line(), 5) << e.what();
  EXPECT_LE(e.line(), 6) << e.what();
  EXPECT_NE(e.message().find("YAML syntax error"), std::string::npos) << e.what();
}

TEST(Loader, ShouldReportJsonSyntaxErrorsWithTheLine) {
  const LoadError e = load_error("bad/json-syntax.json");
  EXPECT_EQ(e.line(), 4) << e.what();
  EXPECT_NE(e.message().find("JSON syntax error"), std::string::npos) << e.what();
}

TEST(Loader, ShouldRejectSampleIntervalsBelowTenMilliseconds) {
  const LoadError e = parse_error(
      "title: t\nx-faultline:\n  sample-interval: 5ms\nmethod:\n  - {type: action, name: a, "
      "provider: {type: process, path: /bin/true}}\n",
      "fast.yaml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(e.message().find("below the minimum of 10ms"), std::string::npos) << e.what();
}

TEST(Loader, ShouldRejectUnknownRunOptionsAndSubstitutions) {
  EXPECT_NE(
      parse_error("title: t\nx-faultline:\n  sample_rate: 1s\nmethod:\n  - {type: action, name: a, provider: "
                  "{type: process, path: /bin/true}}\n",
                  "o.yaml")
          .message()
          .find("unknown run option 'sample_rate'"),
      std::string::npos);
  const LoadError e = parse_error(
      "title: t\nmethod:\n  - type: action\n    name: a\n    provider:\n      type: process\n      path: "
      "${nowhere}\n",
      "s.yaml");
  EXPECT_EQ(e.line(), 7);
  EXPECT_NE(e.message().find("${nowhere} names no configuration key"), std::string::npos) << e.what();
}

TEST(Loader, ShouldValidateProviderDetails) {
  const auto message = [](const std::string& provider) {
    return parse_error("title: t\nmethod:\n  - type: action\n    name: a\n    provider: " + provider + "\n",
                       "p.yaml")
        .message();
  };
  EXPECT_NE(message("{type: http, url: 'ftp://x/'}").find("is not an http:// or https:// URL"),
            std::string::npos);
  EXPECT_NE(message("{type: tcp, port: 70000}").find("between 1 and 65535"), std::string::npos);
  EXPECT_NE(message("{type: sql, dsn: 'dbname=x'}").find("without 'query'"), std::string::npos);
  EXPECT_NE(message("{type: process}").find("without 'path'"), std::string::npos);
  EXPECT_NE(message("{type: faultline, func: inject, selector: '-l app=x'}").find("needs 'fault'"),
            std::string::npos);
  EXPECT_NE(
      message("{type: faultline, func: telemetry, selector: '-l app=x', metric: p42}").find("metric 'p42'"),
      std::string::npos);
  EXPECT_NE(message("{type: faultline, func: kill, selector: 'app=x'}").find("selector 'app=x'"),
            std::string::npos);
  EXPECT_NE(
      message(
          "{type: faultline, func: inject, selector: '-l app=x', fault: latency, arguments: {delay: 2xs}}")
          .find("malformed duration"),
      std::string::npos);
  EXPECT_NE(message("{type: process, path: /bin/true, timeout: later}").find("malformed timeout"),
            std::string::npos);
}

TEST(Loader, ShouldLoadTheSeedExperimentsThatUseTheFaultlineProvider) {
  for (const char* name :
       {"seed-market-data-latency.yaml", "seed-order-service-kill.json", "seed-database-terminate.yaml"}) {
    const Experiment e = load_experiment(data_path(name));
    EXPECT_FALSE(e.method.empty()) << name;
    EXPECT_FALSE(e.hypothesis.empty()) << name;
  }
}

}  // namespace
}  // namespace faultline::experiment
