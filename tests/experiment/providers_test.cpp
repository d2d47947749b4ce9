// Each provider against a real local target.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>

#include "provider.h"
#include "run_context.h"
#include "subprocess.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;
using test::data_path;

class Providers : public ::testing::Test {
 protected:
  ProviderOutput run(const Json& provider) {
    Activity a;
    a.type = "probe";
    a.name = "p";
    a.provider = provider;
    EXPECT_FALSE(validate_provider(provider).has_value()) << validate_provider(provider)->message;
    return run_provider(a, context_, nullptr);
  }
  std::string failure(const Json& provider) {
    try {
      run(provider);
    } catch (const ActivityFailed& e) {
      return e.what();
    }
    ADD_FAILURE() << provider.dump() << " did not fail";
    return "";
  }
  Experiment experiment_;
  RunContext context_{experiment_, true};
  test::HttpTarget http_;
};

TEST_F(Providers, ShouldReturnTheStatusAndOutputsOfAProcess) {
  const auto out = run(
      {{"type", "process"}, {"path", "/bin/sh"}, {"arguments", {"-c", "echo out; echo err >&2; exit 3"}}});
  EXPECT_EQ(out.output["status"], 3);
  EXPECT_EQ(out.output["stdout"], "out\n");
  EXPECT_EQ(out.output["stderr"], "err\n");
}

TEST_F(Providers, ShouldRunStringArgumentsThroughTheShell) {
  const auto out = run({{"type", "process"}, {"path", "echo"}, {"arguments", "hello | tr a-z A-Z"}});
  EXPECT_EQ(out.output["status"], 0);
  EXPECT_EQ(out.output["stdout"], "HELLO\n");
}

TEST_F(Providers, ShouldFlattenMappingArgumentsAsChaosToolkitDoes) {
  const auto out = run({{"type", "process"}, {"path", "/bin/echo"}, {"arguments", {{"-n", ""}, {"x", "y"}}}});
  EXPECT_EQ(out.output["stdout"], "x y");
}

TEST_F(Providers, ShouldFailAProcessThatOutlivesItsTimeout) {
  const std::string why =
      failure({{"type", "process"}, {"path", "/bin/sleep"}, {"arguments", {"5"}}, {"timeout", 0.2}});
  EXPECT_NE(why.find("took too long"), std::string::npos) << why;
}

TEST_F(Providers, ShouldReportDeathBySignalAsANegativeStatus) {
  const auto out = run({{"type", "process"}, {"path", "/bin/sh"}, {"arguments", {"-c", "kill -SEGV $$"}}});
  EXPECT_EQ(out.output["status"], -11);
}

TEST_F(Providers, ShouldFailAProcessThatDoesNotExist) {
  EXPECT_NE(failure({{"type", "process"}, {"path", "/nonexistent/program"}}).find("cannot find executable"),
            std::string::npos);
}

TEST_F(Providers, ShouldReturnHttpStatusHeadersAndParsedJsonBody) {
  const std::string base = "http://127.0.0.1:" + std::to_string(http_.port());
  const auto text = run({{"type", "http"}, {"url", base + "/health"}});
  EXPECT_EQ(text.output["status"], 200);
  EXPECT_EQ(text.output["body"], "ok");
  EXPECT_TRUE(text.latency_ms.has_value());
  const auto json = run({{"type", "http"}, {"url", base + "/json"}, {"timeout", {1, 2}}});
  EXPECT_EQ(json.output["body"]["data"]["items"], Json({1, 2, 3}));
  EXPECT_EQ(json.output["headers"]["Content-Type"], "application/json");
}

TEST_F(Providers, ShouldSendBodiesAndArguments) {
  const std::string base = "http://127.0.0.1:" + std::to_string(http_.port());
  const auto form =
      run({{"type", "http"}, {"method", "post"}, {"url", base + "/echo"}, {"arguments", {{"a", "1 2"}}}});
  EXPECT_EQ(form.output["body"]["received"], "a=1%202");
  EXPECT_EQ(form.output["body"]["type"], "application/x-www-form-urlencoded");
  const auto json = run({{"type", "http"},
                         {"method", "POST"},
                         {"url", base + "/echo"},
                         {"headers", {{"Content-Type", "application/json"}}},
                         {"arguments", {{"qty", 5}}}});
  EXPECT_EQ(json.output["body"]["received"], "{\"qty\":5}");
  const auto body =
      run({{"type", "http"}, {"method", "POST"}, {"url", base + "/echo"}, {"body", {{"side", "buy"}}}});
  EXPECT_EQ(body.output["body"]["received"], "{\"side\":\"buy\"}");
}

TEST_F(Providers, ShouldFailWhenTheStatusIsNotTheExpectedOne) {
  const std::string base = "http://127.0.0.1:" + std::to_string(http_.port());
  http_.break_health(1);
  const std::string why = failure({{"type", "http"}, {"url", base + "/health"}, {"expected_status", 200}});
  EXPECT_NE(why.find("returned 503, expected 200"), std::string::npos) << why;
}

TEST_F(Providers, ShouldFailToConnectToAClosedPort) {
  const std::string why = failure({{"type", "http"},
                                   {"url", "http://127.0.0.1:" + std::to_string(test::closed_port()) + "/"},
                                   {"timeout", 2}});
  EXPECT_NE(why.find("failed to connect"), std::string::npos) << why;
}

TEST_F(Providers, ShouldMeasureTheAgeOfATimestampInTheResponse) {
  const std::string base = "http://127.0.0.1:" + std::to_string(http_.port());
  const auto fresh = run({{"type", "http"}, {"url", base + "/market"}, {"timestamp_path", "$.timestamp"}});
  ASSERT_TRUE(fresh.output["age_s"].is_number()) << fresh.output.dump();
  EXPECT_GE(fresh.output["age_s"].get<double>(), -1.0);
  EXPECT_LT(fresh.output["age_s"].get<double>(), 5.0);
  // 10 s old, with a +02:00 offset: the offset is honoured.
  const auto stale = run({{"type", "http"}, {"url", base + "/stale"}, {"timestamp_path", "$..timestamp"}});
  ASSERT_TRUE(stale.output["age_s"].is_number()) << stale.output.dump();
  EXPECT_GE(stale.output["age_s"].get<double>(), 9.0);
  EXPECT_LT(stale.output["age_s"].get<double>(), 120.0);
  const auto missing = run({{"type", "http"}, {"url", base + "/json"}, {"timestamp_path", "$.nope"}});
  EXPECT_TRUE(missing.output["age_s"].is_null());
  EXPECT_NE(missing.output["age_error"].get<std::string>().find("no value at $.nope"), std::string::npos);
}

TEST_F(Providers, ShouldTellWhetherATcpPortAcceptsConnections) {
  test::TcpListener listener;
  const auto open = run({{"type", "tcp"}, {"port", listener.port()}});
  EXPECT_EQ(open.output, true);
  EXPECT_TRUE(open.latency_ms.has_value());
  const auto closed =
      run({{"type", "tcp"}, {"host", "127.0.0.1"}, {"port", test::closed_port()}, {"timeout", 1}});
  EXPECT_EQ(closed.output, false);
}

TEST_F(Providers, ShouldReportTelemetryProbesWithoutTargetsAsFailed) {
  const std::string why = failure({{"type", "faultline"},
                                   {"func", "telemetry"},
                                   {"selector", {{"labels", "app=faultline-test-nobody-has-this-label"}}},
                                   {"metric", "p99"}});
  EXPECT_NE(why.find("no live target matches"), std::string::npos) << why;
}

class FaultlineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("FAULTLINE_CLI", data_path("fake-faultline.sh").c_str(), 1);
    ::setenv("FAKE_FAULTLINE_LOG", (dir_ / "calls.log").c_str(), 1);
    context_ = std::make_unique<RunContext>(experiment_, true);
  }
  void TearDown() override {
    ::unsetenv("FAULTLINE_CLI");
    ::unsetenv("FAKE_FAULTLINE_LOG");
    ::unsetenv("FAKE_FAULTLINE_EXIT");
  }
  ProviderOutput run(const Json& provider) {
    Activity a;
    a.type = "action";
    a.name = "fl";
    a.provider = provider;
    EXPECT_FALSE(validate_provider(provider).has_value());
    return run_provider(a, *context_, nullptr);
  }
  test::TempDir dir_;
  Experiment experiment_;
  std::unique_ptr<RunContext> context_;
};

TEST_F(FaultlineCli, ShouldRunTheCliWithTheSelectorFaultOptionsAndAnId) {
  run({{"type", "faultline"},
       {"func", "inject"},
       {"selector", {{"labels", "app=md"}}},
       {"fault", "latency"},
       {"arguments", {{"delay", "200ms"}, {"jitter", "50ms"}, {"correlation", 0.75}}}});
  const auto faults = context_->faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].selector, (std::vector<std::string>{"-l", "app=md"}));
  EXPECT_EQ(
      test::read_file(dir_ / "calls.log"),
      "inject -l app=md latency --correlation 0.75 --delay 200ms --jitter 50ms --id " + faults[0].id + "\n");
  run({{"type", "faultline"},
       {"func", "clear"},
       {"selector", "-l app=md"},
       {"arguments", {{"id", faults[0].id}}}});
  EXPECT_TRUE(context_->faults()[0].cleared);
}

TEST_F(FaultlineCli, ShouldMapDatabaseActionsToTheDbSubcommand) {
  run({{"type", "faultline"},
       {"func", "db-terminate"},
       {"arguments", {{"dsn", "dbname=x"}, {"database", "trading"}}}});
  run({{"type", "faultline"},
       {"func", "db-lock"},
       {"arguments", {"--dsn", "dbname=x", "--table", "trades", "--for", "1s"}}});
  EXPECT_EQ(
      test::read_file(dir_ / "calls.log"),
      "db terminate --database trading --dsn dbname=x\ndb lock --dsn dbname=x --table trades --for 1s\n");
}

TEST_F(FaultlineCli, ShouldFailWhenTheCliFails) {
  ::setenv("FAKE_FAULTLINE_EXIT", "3", 1);
  try {
    run({{"type", "faultline"}, {"func", "inject"}, {"selector", "--all"}, {"fault", "reset"}});
    FAIL() << "a failed inject must fail the activity";
  } catch (const ActivityFailed& e) {
    EXPECT_NE(std::string(e.what()).find("exited with status 3"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(context_->faults().empty());  // nothing to clear: it was not injected
}

}  // namespace
}  // namespace faultline::experiment
