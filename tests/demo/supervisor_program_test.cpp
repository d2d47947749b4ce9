// The supervisor program: replicas restarted after they die, all of them
// stopped with it.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <set>

#include "demo_processes.h"
#include "faultline/testing/process.h"

namespace faultline::demo {
namespace {

using namespace std::chrono_literals;
using faultline::testing::Process;
using faultline::testing::SpawnOptions;
using namespace faultline::demo::testing;

// Each replica prints "INDEX:PORT:PID" and sleeps; the supervisor's stdout
// is theirs.
Process start_supervisor(int replicas) {
  return Process::spawn(
      {demo_program("supervisor"), "--replicas", std::to_string(replicas), "--base-port", "7000",
       "--restart-delay", "50ms", "--", "/bin/sh", "-c", "echo {replica}:{port}:$$; exec sleep 60"},
      SpawnOptions().without_preload());
}

struct ReplicaLine {
  int index = -1, port = 0;
  pid_t pid = -1;
};

ReplicaLine next_replica(Process& supervisor) {
  const auto line = supervisor.read_line(20s);
  ReplicaLine replica;
  if (line) std::sscanf(line->c_str(), "%d:%d:%d", &replica.index, &replica.port, &replica.pid);
  return replica;
}

TEST(SupervisorProgram, ShouldStartEachReplicaWithItsOwnIndexAndPort) {
  Process supervisor = start_supervisor(3);
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < 3; ++i) {
    const ReplicaLine replica = next_replica(supervisor);
    seen.insert({replica.index, replica.port});
  }
  EXPECT_EQ(seen, (std::set<std::pair<int, int>>{{0, 7000}, {1, 7001}, {2, 7002}}));
}

TEST(SupervisorProgram, ShouldRestartAKilledReplicaAndStopEveryReplicaOnSigterm) {
  Process supervisor = start_supervisor(2);
  std::map<int, pid_t> pids;
  for (int i = 0; i < 2; ++i) {
    const ReplicaLine replica = next_replica(supervisor);
    pids[replica.index] = replica.pid;
  }
  ASSERT_EQ(pids.size(), 2u);

  ASSERT_EQ(kill(pids[1], SIGKILL), 0);
  const ReplicaLine restarted = next_replica(supervisor);
  EXPECT_EQ(restarted.index, 1);
  EXPECT_EQ(restarted.port, 7001);
  EXPECT_NE(restarted.pid, pids[1]);

  EXPECT_TRUE(faultline::testing::exited_with(supervisor.kill_and_reap(SIGTERM, 10s), 0));
  EXPECT_TRUE(process_gone(pids[0]));
  EXPECT_TRUE(process_gone(restarted.pid));
}

TEST(SupervisorProgram, ShouldTakeItsReplicasWithItWhenItIsKilled) {
  Process supervisor = start_supervisor(2);
  const ReplicaLine first = next_replica(supervisor), second = next_replica(supervisor);
  supervisor.kill_and_reap(SIGKILL);
  EXPECT_TRUE(eventually([&] { return process_gone(first.pid) && process_gone(second.pid); }));
}

}  // namespace
}  // namespace faultline::demo
