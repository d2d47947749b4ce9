// The ways a host process makes processes and threads, under the preload:
// fork gives the child its own segment and leaves the parent's intact;
// exec keeps the preload (a new segment for the new image); vfork and
// posix_spawn neither deadlock nor disturb the parent; threads that started
// before the shim's constructor keep working and come under its control.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <string>

#include "faultline/controlplane/client.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"
#include "integration_support.h"
#include "robustness_support.h"

namespace faultline::robustness {
namespace {

using integration::kMs;

// A target answers commands: telemetry on, a fault armed and cleared.
void expect_commandable(cp::Client& client, const char* fault_id) {
  EXPECT_EQ(client.request(cp::make_telemetry(true), 10s).status, abi::AckStatus::kApplied);
  integration::inject(client, integration::latency_fault(fault_id, 1 * kMs));
  EXPECT_TRUE(integration::fault_view(client, fault_id).has_value());
  integration::clear(client, fault_id);
  EXPECT_FALSE(integration::fault_view(client, fault_id).has_value());
}

cp::Client attach(pid_t pid) {
  std::string reason;
  std::optional<cp::Client> client = testing::wait_for_segment(pid, 10s, &reason);
  if (!client) throw std::runtime_error("no segment for pid " + std::to_string(pid) + ": " + reason);
  return std::move(*client);
}

// Reads lines until one starts with `prefix`; returns the rest of it.
std::string line_starting(testing::Process& p, const std::string& prefix) {
  while (const auto line = p.read_line(20s))
    if (line->starts_with(prefix)) return line->substr(prefix.size());
  throw std::runtime_error("no line starting with '" + prefix + "'");
}

bool segment_gone(pid_t pid) {
  return wait_until([&] { return !testing::segment_exists(pid); }, 10s);
}

TEST(Fork, ShouldGiveTheChildItsOwnSegmentAndKeepTheParentsIntact) {
  testing::Process parent =
      testing::Process::spawn({program_path("process_probe"), "fork"},
                              testing::SpawnOptions().with_env("FAULTLINE_LABELS=role=forker"));
  std::optional<pid_t> parent_pid, child_pid;
  int io_ok = 0;
  for (int i = 0; i < 4; ++i) {
    const auto line = parent.read_line(20s);
    ASSERT_TRUE(line.has_value());
    if (line->starts_with("parent ")) parent_pid = std::stoi(line->substr(7));
    if (line->starts_with("child ")) child_pid = std::stoi(line->substr(6));
    if (line->starts_with("io ") && line->ends_with(" ok")) ++io_ok;
  }
  ASSERT_TRUE(parent_pid && child_pid);
  EXPECT_EQ(*parent_pid, parent.pid());
  EXPECT_EQ(io_ok, 2) << "a round trip failed in the parent or the child";

  cp::Client parent_client = attach(*parent_pid);
  cp::Client child_client = attach(*child_pid);
  EXPECT_EQ(parent_client.header().pid, *parent_pid);
  EXPECT_EQ(child_client.header().pid, *child_pid);
  EXPECT_STREQ(parent_client.header().program, "process_probe");
  EXPECT_STREQ(child_client.header().labels, "role=forker");
  EXPECT_NE(child_client.header().start_mono_ns, parent_client.header().start_mono_ns);
  EXPECT_TRUE(wait_until([&] { return parent_client.alive() && child_client.alive(); }, 10s));

  // A fault in the child is the child's alone, and the reverse.
  integration::inject(child_client, integration::latency_fault("child-only", 1 * kMs));
  EXPECT_TRUE(parent_client.faults().empty());
  expect_commandable(parent_client, "parent-check");
  EXPECT_TRUE(integration::fault_view(child_client, "child-only").has_value());
  integration::clear(child_client, "child-only");
  expect_commandable(child_client, "child-check");

  EXPECT_EQ(exit_code(parent.kill_and_reap(SIGTERM)), 0);
  EXPECT_TRUE(segment_gone(*parent_pid));
  EXPECT_TRUE(segment_gone(*child_pid));
}

TEST(ForkExec, ShouldPreloadTheExecutedProgramUnderTheChildsPid) {
  testing::Process parent =
      testing::Process::spawn({program_path("process_probe"), "fork-exec", testing::helper_path("udp_echo")});
  std::optional<pid_t> child_pid;
  std::optional<std::uint16_t> port;
  for (int i = 0; i < 2; ++i) {
    const auto line = parent.read_line(20s);
    ASSERT_TRUE(line.has_value());
    if (line->starts_with("child "))
      child_pid = std::stoi(line->substr(6));
    else
      port = static_cast<std::uint16_t>(std::stoul(*line));
  }
  ASSERT_TRUE(child_pid && port);
  // Until exec the child has the segment fork gave it (named after
  // process_probe); the new image replaces it with its own.
  std::optional<cp::Client> child;
  ASSERT_TRUE(wait_until(
      [&] {
        std::string reason;
        child = cp::Client::attach(*child_pid, &reason);
        return child && std::string(child->header().program) == "udp_echo";
      },
      10s));
  EXPECT_EQ(child->header().pid, *child_pid);
  EXPECT_NE(mapped_files(*child_pid).find("libfaultline.so"), std::string::npos);
  EXPECT_EQ(integration::udp_ping(*port, 5).received, 5u);
  expect_commandable(*child, "exec-check");
  cp::Client parent_client = attach(parent.pid());
  EXPECT_STREQ(parent_client.header().program, "process_probe");
  expect_commandable(parent_client, "parent-check");

  EXPECT_EQ(exit_code(parent.kill_and_reap(SIGTERM)), 0);
  EXPECT_TRUE(segment_gone(*child_pid));
  EXPECT_TRUE(segment_gone(parent.pid()));
}

TEST(Exec, ShouldReplaceTheSegmentWithTheNewImagesUnderTheSamePid) {
  testing::Process p =
      testing::Process::spawn({program_path("process_probe"), "exec", testing::helper_path("udp_echo")},
                              testing::SpawnOptions().with_stdin());
  const pid_t pid = std::stoi(line_starting(p, "pid "));
  cp::Client before = attach(pid);
  EXPECT_STREQ(before.header().program, "process_probe");
  p.write_stdin("go\n");
  const auto port = p.read_line(20s);
  ASSERT_TRUE(port.has_value());
  EXPECT_TRUE(wait_until([&] { return !before.alive(); }, 10s)) << "the pre-exec segment still looks current";
  cp::Client after = attach(pid);
  EXPECT_STREQ(after.header().program, "udp_echo");
  EXPECT_EQ(after.header().pid, pid);
  EXPECT_EQ(integration::udp_ping(static_cast<std::uint16_t>(std::stoul(*port)), 5).received, 5u);
  expect_commandable(after, "after-exec");
  EXPECT_EQ(exit_code(p.kill_and_reap(SIGTERM)), 0);
  EXPECT_TRUE(segment_gone(pid));
}

// vfork and posix_spawn: children run (their exit codes come back), the
// parent keeps its segment, its I/O and its control plane.
void expect_spawner_intact(testing::Process& p, const std::string& spawned_line) {
  EXPECT_EQ(p.read_line(30s), spawned_line);
  EXPECT_EQ(p.read_line(10s), "segment 1");
  EXPECT_EQ(p.read_line(10s), "io ok");
  cp::Client client = attach(p.pid());
  EXPECT_STREQ(client.header().program, "process_probe");
  expect_commandable(client, "spawner-check");
  EXPECT_EQ(exit_code(p.kill_and_reap(SIGTERM)), 0);
  EXPECT_TRUE(segment_gone(p.pid()));
}

TEST(Vfork, ShouldRunChildrenWithoutDeadlockAndLeaveTheParentIntact) {
  testing::Process p = testing::Process::spawn({program_path("process_probe"), "vfork", "10"});
  expect_spawner_intact(p, "vfork exec-ok 10 exit3 10");
}

TEST(PosixSpawn, ShouldRunChildrenWithoutDeadlockAndLeaveTheParentIntact) {
  testing::Process p = testing::Process::spawn({program_path("process_probe"), "posix-spawn", "10"});
  expect_spawner_intact(p, "spawn exit1 10");
}

TEST(Fork, ShouldSurviveRepeatedForksWhileAnotherThreadDoesSocketIo) {
  const testing::RunResult r = testing::run({program_path("process_probe"), "fork-storm", "20"}, 45s);
  EXPECT_EQ(exit_code(r.status), 0) << r.output;
  // Every child had its own segment and working I/O, and took its segment
  // with it when it exited.
  EXPECT_NE(r.output.find("storm children 20 segment 20 io 20 left 0\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" mismatches 0\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("busy rounds 0 "), std::string::npos) << r.output;
}

TEST(EarlyThreads, ShouldKeepWorkingAndComeUnderControlWhenStartedBeforeTheShim) {
  testing::Process p =
      testing::Process::spawn({program_path("early_thread_probe")}, testing::SpawnOptions().with_stdin());
  // The library's thread did its first round trip before the preload's
  // constructor created the segment: the situation this test is about.
  ASSERT_EQ(p.read_line(20s), "first-io-before-segment 1");
  cp::Client client = attach(p.pid());

  // Its sockets, made before the shim started, are matched by a fault.
  abi::FaultSpec fault = integration::latency_fault("early-lat", 1 * kMs);
  fault.match.dir = static_cast<std::uint8_t>(abi::Direction::kEgress);
  integration::inject(client, fault);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto view = integration::fault_view(client, "early-lat");
        return view && view->hits >= 3;
      },
      10s));
  integration::clear(client, "early-lat");

  p.write_stdin("report\n");
  const std::string first = line_starting(p, "rounds ");
  p.write_stdin("report\n");
  const std::string second = line_starting(p, "rounds ");
  EXPECT_TRUE(first.ends_with(" failures 0")) << first;
  EXPECT_TRUE(second.ends_with(" failures 0")) << second;
  p.write_stdin("quit\n");
  const auto status = p.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code(*status), 0);
  EXPECT_TRUE(segment_gone(p.pid()));
}

TEST(EarlyThreads, ShouldBehaveTheSameWithoutThePreload) {
  testing::Process p = testing::Process::spawn({program_path("early_thread_probe")},
                                               testing::SpawnOptions().without_preload().with_stdin());
  ASSERT_EQ(p.read_line(20s), "first-io-before-segment 1");
  p.write_stdin("report\n");
  EXPECT_TRUE(line_starting(p, "rounds ").ends_with(" failures 0"));
  p.write_stdin("quit\n");
  const auto status = p.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code(*status), 0);
}

}  // namespace
}  // namespace faultline::robustness
