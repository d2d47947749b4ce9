// The load generator's orders and summary, and the supervisor's replica
// bookkeeping.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include "latency_summary.h"
#include "order_load.h"
#include "replica_set.h"

namespace faultline::demo {
namespace {

RequestOutcome ok(double ms) {
  return {static_cast<std::int64_t>(ms * 1e6), true, ""};
}
RequestOutcome failed(double ms, const char* why) {
  return {static_cast<std::int64_t>(ms * 1e6), false, why};
}

TEST(LatencySummary, ShouldUseNearestRankPercentiles) {
  std::vector<RequestOutcome> outcomes;
  for (int i = 1; i <= 200; ++i) outcomes.push_back(ok(i));
  const LatencySummary summary = summarize(outcomes);
  EXPECT_DOUBLE_EQ(summary.p50_ms, 100);
  EXPECT_DOUBLE_EQ(summary.p99_ms, 198);
  EXPECT_DOUBLE_EQ(summary.max_ms, 200);
  EXPECT_DOUBLE_EQ(summary.mean_ms, 100.5);
}

TEST(LatencySummary, ShouldCountAvailabilityAndErrorsByKind) {
  const LatencySummary summary =
      summarize({ok(1), ok(1), failed(5, "HTTP 503"), failed(9, "HTTP 503"), failed(2, "Connection")});
  EXPECT_EQ(summary.requests, 5u);
  EXPECT_EQ(summary.ok, 2u);
  EXPECT_EQ(summary.errors, 3u);
  EXPECT_DOUBLE_EQ(summary.availability, 0.4);
  EXPECT_EQ(summary.errors_by_kind.at("HTTP 503"), 2u);
  EXPECT_EQ(summary.errors_by_kind.at("Connection"), 1u);
  EXPECT_EQ(to_json(summary)["errors_by_kind"]["HTTP 503"], 2);
}

TEST(LatencySummary, ShouldCallAnEmptyRunFullyAvailable) {
  const LatencySummary summary = summarize({});
  EXPECT_EQ(summary.requests, 0u);
  EXPECT_DOUBLE_EQ(summary.availability, 1.0);
}

TEST(LoadOrders, ShouldGenerateTheSameValidOrderForTheSameSeedAndIndex) {
  const Order a = make_order(3, 17, "run"), b = make_order(3, 17, "run");
  EXPECT_EQ(to_json(a), to_json(b));
  EXPECT_EQ(a.client_order_id, "lg-run-17");
  EXPECT_NO_THROW(parse_order(to_json(a)));
  EXPECT_NE(to_json(make_order(3, 18, "run")), to_json(a));
}

TEST(ReplicaCommand, ShouldSubstituteReplicaAndPortEverywhere) {
  EXPECT_EQ(expand_replica_argument("--http=127.0.0.1:{port}", 2, 8083), "--http=127.0.0.1:8083");
  EXPECT_EQ(expand_replica_argument("app=order-service,replica={replica}", 2, 8083),
            "app=order-service,replica=2");
  EXPECT_EQ(expand_replica_argument("{port}-{port}", 0, 9), "9-9");
  EXPECT_EQ(expand_replica_argument("plain", 0, 9), "plain");
}

TEST(ReplicaCommand, ShouldDescribeExitsAndSignals) {
  EXPECT_EQ(describe_wait_status(3 << 8), "exited with 3");
  EXPECT_EQ(describe_wait_status(SIGKILL), "killed by SIGKILL");
}

// Waits for one child to exit and hands it to the set; returns when it exited.
ReplicaSet::Clock::time_point reap_one(ReplicaSet& replicas, pid_t expected) {
  int status = 0;
  EXPECT_EQ(waitpid(expected, &status, 0), expected);
  const auto exited = ReplicaSet::Clock::now();
  EXPECT_TRUE(replicas.on_exit(expected, status, exited));
  return exited;
}

TEST(ReplicaSet, ShouldRestartAReplicaThatDiedAfterTheBackoff) {
  RestartPolicy policy;
  policy.first_delay = std::chrono::milliseconds(100);
  ReplicaSet replicas({"/bin/sleep", "30"}, 2, 9000, policy);
  replicas.start_all();
  const auto before = replicas.running_pids();
  ASSERT_EQ(before.size(), 2u);

  kill(before[0], SIGKILL);
  const auto exited = reap_one(replicas, before[0]);
  EXPECT_EQ(replicas.running_pids(), std::vector<pid_t>{before[1]});
  EXPECT_EQ(replicas.restart_due(exited), exited + std::chrono::milliseconds(100));
  EXPECT_EQ(replicas.running_pids().size(), 1u) << "restarted before its backoff";
  EXPECT_FALSE(replicas.restart_due(exited + std::chrono::milliseconds(100)));
  const auto after = replicas.running_pids();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(after[0], before[0]);
  EXPECT_EQ(replicas.restarts(), 1u);

  replicas.stop_restarting();
  replicas.signal_all(SIGKILL);
  for (const pid_t pid : after) reap_one(replicas, pid);
  EXPECT_TRUE(replicas.running_pids().empty());
  EXPECT_FALSE(replicas.restart_due(exited + std::chrono::seconds(10)));
}

TEST(ReplicaSet, ShouldDoubleTheBackoffWhileAReplicaKeepsDyingYoung) {
  RestartPolicy policy;
  policy.first_delay = std::chrono::milliseconds(100);
  policy.max_delay = std::chrono::milliseconds(300);
  ReplicaSet replicas({"/bin/false"}, 1, 9000, policy);
  replicas.start_all();
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 4; ++i) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    const auto exited = ReplicaSet::Clock::now();
    ASSERT_TRUE(replicas.on_exit(pid, status, exited));
    const auto due = replicas.restart_due(exited);
    ASSERT_TRUE(due);
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*due - exited));
    replicas.restart_due(*due);
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{
                        std::chrono::milliseconds(100), std::chrono::milliseconds(200),
                        std::chrono::milliseconds(300), std::chrono::milliseconds(300)}));
  replicas.stop_restarting();
  int status = 0;
  while (waitpid(-1, &status, 0) > 0) {
  }
}

TEST(ReplicaSet, ShouldIgnoreExitsOfProcessesThatAreNotReplicas) {
  ReplicaSet replicas({"/bin/true"}, 1, 9000, RestartPolicy{});
  EXPECT_FALSE(replicas.on_exit(1, 0, ReplicaSet::Clock::now()));
}

}  // namespace
}  // namespace faultline::demo
