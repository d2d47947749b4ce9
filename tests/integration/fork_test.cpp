// fork: the child gets its own segment and apply thread, and starts with
// none of the parent's faults.
#include <gtest/gtest.h>

#include "faultline/testing/paths.h"
#include "faultline/testing/targets.h"
#include "integration_support.h"

namespace faultline::integration {
namespace {

TEST(Fork, ShouldGiveTheChildItsOwnSegmentWithoutTheParentsFaults) {
#if defined(__SANITIZE_THREAD__)
  // TSan does not support starting threads in the child of a multi-threaded
  // fork (the child's new apply thread), and loses its signals afterwards.
  GTEST_SKIP() << "fork with threads is not supported under ThreadSanitizer";
#endif
  EchoServer parent = start_echo("udp_echo", {"--fork-on-stdin"}, testing::SpawnOptions().with_stdin());
  inject(*parent.client, loss_fault("parent-loss", 1'000'000));
  parent.process.write_stdin("fork\n");
  const auto line = parent.process.read_line(10s);
  ASSERT_TRUE(line.has_value());
  ASSERT_EQ(line->rfind("child ", 0), 0u) << *line;
  const pid_t child_pid = std::stoi(line->substr(6));
  ASSERT_NE(child_pid, parent.process.pid());

  std::string reason;
  std::optional<cp::Client> child = testing::wait_for_segment(child_pid, 10s, &reason);
  ASSERT_TRUE(child.has_value()) << reason;
  EXPECT_EQ(child->header().pid, child_pid);
  EXPECT_TRUE(child->faults().empty());
  EXPECT_TRUE(fault_view(*parent.client, "parent-loss").has_value());

  // The child serves the inherited socket: the parent's 100% loss does not
  // follow it, and its own faults work.
  EXPECT_EQ(udp_ping(parent.port, 3).received, 3u);
  inject(*child, latency_fault("child-lat", 1 * kMs));
  EXPECT_EQ(udp_ping(parent.port, 3).received, 3u);
  EXPECT_EQ(fault_view(*child, "child-lat")->hits, 6u);
  EXPECT_EQ(fault_view(*parent.client, "parent-loss")->matched, 0u);

  parent.process.kill_and_reap(SIGTERM);  // passes SIGTERM on to the child
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (testing::segment_exists(child_pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(testing::segment_exists(child_pid));
  EXPECT_FALSE(testing::segment_exists(parent.process.pid()));
}

}  // namespace
}  // namespace faultline::integration
