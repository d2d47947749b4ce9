// Thread cancellation looks the same to a program with the idle preload as
// without it. While a program has no thread of its own the preload makes
// the cancellable calls straight to the kernel (preload/src/direct_calls.h),
// which would not act on a cancel; these pin that it hands them back to
// libc first: when the program starts a thread, and when it cancels itself;
// and that a program whose only thread ends with pthread_exit still ends.
#include <gtest/gtest.h>

#include "robustness_support.h"

namespace faultline::robustness {
namespace {

TEST(Cancel, ShouldCancelThreadsBlockedInRecvPollAndAcceptAsWithoutThePreload) {
  const Outcome plain = run_captured({program_path("cancel_probe"), "threads"}, false);
  const Outcome preloaded = run_captured({program_path("cancel_probe"), "threads"}, true);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output, "recv cancelled\npoll cancelled\naccept cancelled\n");
  EXPECT_EQ(preloaded, plain);
}

TEST(Cancel, ShouldActOnASelfCancelAtTheNextReadOfASingleThreadedProgram) {
  const Outcome plain = run_captured({program_path("cancel_probe"), "self"}, false);
  const Outcome preloaded = run_captured({program_path("cancel_probe"), "self"}, true);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output, "cancelled in read\n");
  EXPECT_EQ(preloaded, plain);
}

// The shim's own threads never end; the process must end all the same.
TEST(ThreadExit, ShouldEndTheProcessWhenItsOnlyThreadCallsPthreadExit) {
  const Outcome plain = run_captured({program_path("cancel_probe"), "exit-main"}, false);
  const Outcome preloaded = run_captured({program_path("cancel_probe"), "exit-main"}, true, 20s);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output, "main thread exits\natexit ran\n");
  EXPECT_EQ(preloaded, plain);
}

TEST(ThreadExit, ShouldEndTheProcessWhenTheLastThreadReturnsAfterTheMainThreadExited) {
  const Outcome plain = run_captured({program_path("cancel_probe"), "exit-main-worker"}, false);
  const Outcome preloaded = run_captured({program_path("cancel_probe"), "exit-main-worker"}, true, 20s);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output, "main thread exits\nworker returns\natexit ran\n");
  EXPECT_EQ(preloaded, plain);
}

// FAULTLINE_DIRECT_SYSCALLS=0 keeps every call on libc's path from the start.
TEST(Cancel, ShouldBehaveTheSameWithDirectCallsTurnedOff) {
  const Outcome plain = run_captured({program_path("cancel_probe"), "self"}, false);
  const Outcome preloaded =
      run_captured({program_path("cancel_probe"), "self"}, true, 30s, {"FAULTLINE_DIRECT_SYSCALLS=0"});
  EXPECT_EQ(preloaded, plain);
}

}  // namespace
}  // namespace faultline::robustness
