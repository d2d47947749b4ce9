// Whole runs against local targets: held, deviated, recovery, halts,
// rollbacks on failure, on a crashing probe and on SIGINT/SIGTERM.
#include "faultline/experiment/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "faultline/experiment/load_error.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;
using test::data_path;

class Runs : public ::testing::Test {
 protected:
  Vars vars(Vars extra = {}) {
    Vars v{{"http_port", std::to_string(http_.port())},
           {"tcp_port", std::to_string(tcp_.port())},
           {"dir", dir_.path().string()}};
    for (auto& [k, val] : extra) v[k] = val;
    return v;
  }
  RunResult run_file(const std::string& name, Vars extra = {}) {
    RunOptions o;
    o.quiet = true;
    return run_experiment(load_experiment(data_path(name), vars(std::move(extra))), o);
  }
  RunResult run_text(const std::string& yaml, Vars extra = {}) {
    RunOptions o;
    o.quiet = true;
    return run_experiment(parse_experiment(yaml, "inline.yaml", vars(std::move(extra))), o);
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(dir_ / name); }

  static int failing_samples(const Json& journal, const std::string& phase = "") {
    int n = 0;
    for (const auto& s : journal["faultline"]["samples"])
      for (const auto& [probe, ok] : s["met"].items())
        if (!ok.get<bool>() && (phase.empty() || s["phase"] == phase)) ++n;
    return n;
  }

  test::HttpTarget http_;
  test::TcpListener tcp_;
  test::TempDir dir_;
};

TEST_F(Runs, ShouldHoldAndExitZeroWhenTheSteadyStateStaysWithinTolerance) {
  const RunResult r = run_file("holds.yaml");
  const Json& j = r.journal;
  EXPECT_EQ(r.exit_code, kExitHeld) << j["faultline"].dump(2);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["deviated"], false);
  EXPECT_TRUE(exists("method-ran"));
  EXPECT_TRUE(exists("rolled-back"));
  EXPECT_EQ(j["faultline"]["violation_count"], 0);
  EXPECT_EQ(j["faultline"]["recovered"], true);
  EXPECT_EQ(j["steady_states"]["before"]["steady_state_met"], true);
  EXPECT_EQ(j["steady_states"]["after"]["steady_state_met"], true);
  ASSERT_EQ(j["run"].size(), 2u);
  EXPECT_EQ(j["run"][1]["activity"]["name"], "health-ok");  // the ref resolved, as Chaos Toolkit records it
  EXPECT_EQ(j["run"][1]["output"]["status"], 200);
  // http and tcp probes report their call time per phase.
  const Json& latency = j["faultline"]["latency"];
  ASSERT_EQ(latency.size(), 2u);
  EXPECT_EQ(latency[0]["probe"], "health-ok");
  EXPECT_TRUE(latency[0]["before"]["p99"].is_number());
  EXPECT_EQ(j["faultline"]["p99_ms"]["probe"], "health-ok");
}

TEST_F(Runs, ShouldWriteTheJournalFieldsChaosToolkitToolsRead) {
  const Json j = run_file("holds.yaml").journal;
  for (const char* key : {"chaoslib-version", "platform", "node", "start", "end", "status"})
    EXPECT_TRUE(j[key].is_string()) << key;
  EXPECT_TRUE(j["duration"].is_number());
  EXPECT_TRUE(j["deviated"].is_boolean());
  EXPECT_EQ(j["experiment"]["title"], "local targets stay healthy");
  EXPECT_TRUE(j["experiment"]["steady-state-hypothesis"].is_object());
  for (const char* phase : {"before", "after"}) {
    const Json& state = j["steady_states"][phase];
    EXPECT_TRUE(state["steady_state_met"].is_boolean()) << phase;
    ASSERT_EQ(state["probes"].size(), 3u) << phase;
    for (const auto& p : state["probes"]) EXPECT_TRUE(p["tolerance_met"].is_boolean());
  }
  EXPECT_TRUE(j["steady_states"]["during"].is_array());
  for (const char* list : {"run", "rollbacks"})
    for (const auto& r : j[list]) {
      EXPECT_TRUE(r["activity"].is_object()) << list;
      EXPECT_TRUE(r.contains("output")) << list;
      EXPECT_TRUE(r["status"] == "succeeded" || r["status"] == "failed") << list;
      EXPECT_TRUE(r["start"].is_string() && r["end"].is_string()) << list;
      EXPECT_TRUE(r["duration"].is_number()) << list;
    }
  // ISO-8601 like Chaos Toolkit's datetime.isoformat(): 2026-12-07T02:00:00.123456
  EXPECT_EQ(j["start"].get<std::string>().size(), 26u);
  EXPECT_EQ(j["start"].get<std::string>()[10], 'T');
  const Json& fl = j["faultline"];
  for (const char* key : {"violations", "samples", "latency", "faults", "probes"})
    EXPECT_TRUE(fl[key].is_array()) << key;
  EXPECT_TRUE(fl["window"]["start_s"].is_number());
  EXPECT_TRUE(fl.contains("time_to_recover_s"));
  EXPECT_TRUE(fl.contains("p99_ms"));
  EXPECT_EQ(fl["exit_code"], 0);
}

TEST_F(Runs, ShouldRecordEveryViolationWithItsTimeAndDeviate) {
  const RunResult r = run_file("breaks-health.yaml", {{"failures", "3"}, {"window", "2s"}});
  const Json& j = r.journal;
  EXPECT_EQ(r.exit_code, kExitDeviated) << j["faultline"].dump(2);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["deviated"], true);
  // The server failed exactly three health checks, and only the sampler asks.
  EXPECT_EQ(failing_samples(j), 3);
  const Json& violations = j["faultline"]["violations"];
  ASSERT_GE(violations.size(), 1u);
  for (const auto& v : violations) {
    EXPECT_EQ(v["timestamp"].get<std::string>().size(), 26u);
    EXPECT_GE(v["elapsed_s"].get<double>(), 0.0);
    EXPECT_EQ(v["probes"][0]["probe"], "health-ok");
    EXPECT_NE(v["probes"][0]["reason"].get<std::string>().find("503"), std::string::npos);
  }
  EXPECT_EQ(j["steady_states"]["during"].size(), violations.size());
  EXPECT_EQ(j["faultline"]["recovered"], true);
  EXPECT_EQ(j["steady_states"]["after"]["steady_state_met"], true);
  EXPECT_TRUE(exists("rolled-back"));
}

TEST_F(Runs, ShouldMeasureTheTimeToRecoverAfterTheFaultWindow) {
  // The window ends right after the method; most failures land in recovery.
  const RunResult r = run_file("breaks-health.yaml", {{"failures", "6"}, {"window", "0s"}});
  const Json& fl = r.journal["faultline"];
  EXPECT_EQ(failing_samples(r.journal), 6);
  ASSERT_GE(failing_samples(r.journal, "after"), 5);
  EXPECT_EQ(fl["recovered"], true);
  EXPECT_GT(fl["time_to_recover_s"].get<double>(), 0.0);
}

TEST_F(Runs, ShouldNotInjectAnythingWhenTheSteadyStateDoesNotHoldBefore) {
  http_.break_health(1000);
  const RunResult r = run_file("holds.yaml");
  EXPECT_EQ(r.exit_code, kExitCouldNotRun);
  EXPECT_EQ(r.journal["status"], "failed");
  EXPECT_EQ(r.journal["deviated"], false);
  EXPECT_EQ(r.journal["steady_states"]["before"]["steady_state_met"], false);
  EXPECT_TRUE(r.journal["run"].empty());
  EXPECT_FALSE(exists("method-ran"));
  EXPECT_TRUE(exists("rolled-back"));  // rollbacks always run
}

TEST_F(Runs, ShouldRollBackWhenAMethodActionFails) {
  const RunResult r = run_text(R"(title: a failing action
method:
  - type: action
    name: no-such-program
    provider: {type: process, path: /nonexistent/inject-fault}
rollbacks:
  - type: action
    name: mark
    provider:
      type: process
      path: /bin/sh
      arguments: ["-c", "echo x > ${dir}/rolled-back"]
)");
  EXPECT_EQ(r.exit_code, kExitCouldNotRun);
  EXPECT_EQ(r.journal["run"][0]["status"], "failed");
  EXPECT_NE(r.journal["run"][0]["exception"][0].get<std::string>().find("cannot find executable"),
            std::string::npos);
  EXPECT_TRUE(exists("rolled-back"));
  EXPECT_EQ(r.journal["rollbacks"][0]["status"], "succeeded");
}

TEST_F(Runs, ShouldRollBackAndCountTheViolationWhenAProbeCrashes) {
  const RunResult r = run_text(R"(title: a probe that crashes
steady-state-hypothesis:
  title: the checker exits cleanly
  probes:
    - type: probe
      name: checker
      tolerance: 0
      provider:
        type: process
        path: /bin/sh
        arguments: ["-c", "test -e ${dir}/crash && kill -SEGV $$; exit 0"]
method:
  - type: action
    name: make-the-checker-crash
    provider: {type: process, path: /bin/touch, arguments: ["${dir}/crash"]}
rollbacks:
  - type: action
    name: repair
    provider:
      type: process
      path: /bin/sh
      arguments: ["-c", "rm -f ${dir}/crash && echo x > ${dir}/rolled-back"]
x-faultline:
  sample-interval: 10ms
  duration: 60s
  halt: {max-violations: 1}
)");
  const Json& fl = r.journal["faultline"];
  EXPECT_EQ(r.exit_code, kExitDeviated) << fl.dump(2);
  ASSERT_EQ(fl["violations"].size(), 1u);
  EXPECT_NE(fl["violations"][0]["probes"][0]["reason"].get<std::string>().find("status -11"),
            std::string::npos)
      << fl["violations"][0].dump();
  EXPECT_TRUE(exists("rolled-back"));
  EXPECT_EQ(r.journal["steady_states"]["after"]["steady_state_met"], true);
}

TEST_F(Runs, ShouldHaltWhenViolationsReachTheLimit) {
  const RunResult r = run_text(R"(title: halts
steady-state-hypothesis:
  title: health
  probes:
    - type: probe
      name: health-ok
      tolerance: 200
      provider: {type: http, url: "http://127.0.0.1:${http_port}/health"}
method:
  - type: action
    name: break-for-a-long-time
    provider: {type: http, method: POST, url: "http://127.0.0.1:${http_port}/break?count=100000"}
rollbacks:
  - type: action
    name: repair
    provider: {type: http, method: POST, url: "http://127.0.0.1:${http_port}/break?count=0"}
x-faultline:
  sample-interval: 10ms
  duration: 120s
  halt:
    max-violations: 3
)");
  const Json& fl = r.journal["faultline"];
  EXPECT_EQ(r.exit_code, kExitDeviated);
  EXPECT_EQ(fl["violations"].size(), 3u);
  ASSERT_TRUE(fl["halted"].is_object());
  EXPECT_NE(fl["halted"]["reason"].get<std::string>().find("3 violations reached max-violations 3"),
            std::string::npos);
  EXPECT_EQ(fl["recovered"], true);  // the rollback repaired it
}

TEST_F(Runs, ShouldHaltWhenAGuardProbeLeavesItsTolerance) {
  const RunResult r = run_text(R"(title: guard
steady-state-hypothesis:
  title: the true program succeeds
  probes:
    - {type: probe, name: t, tolerance: 0, provider: {type: process, path: /bin/true}}
method:
  - type: action
    name: noop
    provider: {type: process, path: /bin/true}
x-faultline:
  sample-interval: 10ms
  duration: 120s
  halt:
    probes:
      - type: probe
        name: downstream-port-open
        tolerance: true
        provider: {type: tcp, port: "${closed_port}", timeout: 1}
)",
                               {{"closed_port", std::to_string(test::closed_port())}});
  EXPECT_EQ(r.exit_code, kExitDeviated);
  ASSERT_TRUE(r.journal["faultline"]["halted"].is_object());
  EXPECT_NE(r.journal["faultline"]["halted"]["reason"].get<std::string>().find("downstream-port-open"),
            std::string::npos);
  EXPECT_EQ(r.journal["faultline"]["violations"].size(), 0u);
}

TEST_F(Runs, ShouldClearFaultsTheRunInjectedWhenNoRollbackDid) {
  ::setenv("FAULTLINE_CLI", data_path("fake-faultline.sh").c_str(), 1);
  ::setenv("FAKE_FAULTLINE_LOG", (dir_ / "calls.log").c_str(), 1);
  const RunResult r = run_text(R"(title: forgetful
method:
  - type: action
    name: latency-forgotten
    provider:
      type: faultline
      func: inject
      selector: {labels: app=md}
      fault: latency
      arguments: {delay: 200ms}
  - type: action
    name: loss-rolled-back
    provider:
      type: faultline
      func: inject
      selector: "-n gateway"
      fault: loss
      arguments: {pct: 5, id: my-loss}
rollbacks:
  - type: action
    name: clear-loss
    provider: {type: faultline, func: clear, selector: "-n gateway", arguments: {id: my-loss}}
x-faultline: {sample-interval: 10ms}
)");
  ::unsetenv("FAULTLINE_CLI");
  ::unsetenv("FAKE_FAULTLINE_LOG");
  EXPECT_EQ(r.exit_code, kExitHeld);
  const Json& faults = r.journal["faultline"]["faults"];
  ASSERT_EQ(faults.size(), 2u);
  const std::string id = faults[0]["id"].get<std::string>();
  EXPECT_EQ(test::read_file(dir_ / "calls.log"), "inject -l app=md latency --delay 200ms --id " + id +
                                                     "\ninject -n gateway loss --id my-loss --pct 5\n"
                                                     "clear -n gateway --id my-loss\n"
                                                     "clear -l app=md --id " +
                                                     id + "\n");
  EXPECT_TRUE(faults[0]["runner_cleanup"].is_object());
  EXPECT_TRUE(faults[1]["runner_cleanup"].is_null());
}

TEST_F(Runs, ShouldStopBackgroundActionsWhenTheRunHalts) {
  ::setenv("FAULTLINE_CLI", data_path("fake-faultline.sh").c_str(), 1);
  ::setenv("FAKE_FAULTLINE_LOG", (dir_ / "calls.log").c_str(), 1);
  const RunResult r = run_text(R"(title: kill every second, halted
steady-state-hypothesis:
  title: health
  probes:
    - {type: probe, name: health-ok, tolerance: 200, provider: {type: http, url: "http://127.0.0.1:${http_port}/health"}}
method:
  - type: action
    name: kill-replicas
    background: true
    provider: {type: faultline, func: kill, selector: "-l app=order", arguments: {every: 1s, for: 600s}}
  - type: action
    name: break
    provider: {type: http, method: POST, url: "http://127.0.0.1:${http_port}/break?count=1"}
x-faultline:
  sample-interval: 10ms
  halt: {max-violations: 1}
)");
  ::unsetenv("FAULTLINE_CLI");
  ::unsetenv("FAKE_FAULTLINE_LOG");
  EXPECT_EQ(r.exit_code, kExitDeviated);
  EXPECT_EQ(r.journal["run"][0]["activity"]["name"], "kill-replicas");
  EXPECT_EQ(r.journal["run"][0]["status"], "succeeded");
  EXPECT_NE(test::read_file(dir_ / "calls.log").find("terminated kill -l app=order --every 1s --for 600s"),
            std::string::npos);
}

// The runner in a child process (the test driver), stopped by a signal.
class Interrupted : public Runs, public ::testing::WithParamInterface<int> {};

TEST_P(Interrupted, ShouldRollBackAndReportInterruptedOnSignal) {
  const std::string journal = (dir_ / "journal.json").string();
  const std::string experiment = (dir_ / "long.yaml").string();
  test::write_file(experiment, R"(title: long run
steady-state-hypothesis:
  title: the true program succeeds
  probes:
    - {type: probe, name: t, tolerance: 0, provider: {type: process, path: /bin/true}}
method:
  - type: action
    name: long-fault
    provider:
      type: process
      path: /bin/sh
      arguments: ["-c", "touch )" + (dir_ / "started").string() +
                                   R"(; exec sleep 600"]
rollbacks:
  - type: action
    name: mark
    provider: {type: process, path: /bin/touch, arguments: [")" +
                                   (dir_ / "rolled-back").string() + R"("]}
x-faultline: {sample-interval: 10ms, duration: 600s}
)");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(FAULTLINE_CLI_PATH, FAULTLINE_CLI_PATH, "run", experiment.c_str(), "--journal", journal.c_str(),
            nullptr);
    ::_exit(127);
  }
  int status = 0;
  for (int i = 0; i < 6000 && !exists("started"); ++i) {
    ASSERT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the runner exited before its method: " << status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(exists("started")) << "the run did not reach its method";
  ::kill(pid, GetParam());
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the runner died of the signal instead of rolling back";
  EXPECT_EQ(WEXITSTATUS(status), kExitCouldNotRun);
  EXPECT_TRUE(exists("rolled-back"));
  const Json j = Json::parse(test::read_file(journal));
  EXPECT_EQ(j["status"], "interrupted");
  EXPECT_EQ(j["faultline"]["interrupted"], GetParam());
  ASSERT_EQ(j["run"].size(), 1u);
  EXPECT_EQ(j["run"][0]["status"], "failed");  // the long fault was stopped
  EXPECT_EQ(j["rollbacks"][0]["status"], "succeeded");
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupted, ::testing::Values(SIGINT, SIGTERM));

TEST_F(Runs, ShouldExitTwoAndNameFileAndLineForABadExperiment) {
  const std::string err = (dir_ / "err.txt").string();
  const std::string bad = data_path("bad/probe-without-tolerance.yaml").string();
  const std::string cmd = std::string(FAULTLINE_CLI_PATH) + " run " + bad + " 2> " + err + " > /dev/null";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitCouldNotRun);
  EXPECT_NE(test::read_file(err).find(bad + ":5: "), std::string::npos) << test::read_file(err);
}

TEST_F(Runs, ShouldWriteEveryOutputTheCommandLineAsksFor) {
  const std::string args = " --var http_port=" + std::to_string(http_.port()) +
                           " --var tcp_port=" + std::to_string(tcp_.port()) +
                           " --var dir=" + dir_.path().string();
  const std::string base =
      std::string(FAULTLINE_CLI_PATH) + " run " + data_path("holds.yaml").string() + args;
  EXPECT_EQ(std::system((base + " --check > /dev/null").c_str()), 0);
  const std::string outputs = " --journal " + (dir_ / "j.json").string() + " --junit " +
                              (dir_ / "junit.xml").string() + " --svg " + (dir_ / "timeline.svg").string() +
                              " --report " + (dir_ / "summary.txt").string();
  const int status = std::system((base + outputs + " -q > " + (dir_ / "stdout.txt").string()).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitHeld);
  EXPECT_EQ(Json::parse(test::read_file(dir_ / "j.json"))["status"], "completed");
  EXPECT_EQ(test::xml_problem(test::read_file(dir_ / "junit.xml")), "");
  EXPECT_EQ(test::xml_problem(test::read_file(dir_ / "timeline.svg")), "");
  EXPECT_NE(test::read_file(dir_ / "summary.txt").find("HYPOTHESIS HELD"), std::string::npos);
  EXPECT_EQ(test::read_file(dir_ / "summary.txt"), test::read_file(dir_ / "stdout.txt"));
}

}  // namespace
}  // namespace faultline::experiment
