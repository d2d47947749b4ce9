// Thread cancellation looks the same to a program with the idle preload as
// without it. While a program has no thread of its own the preload makes
// the cancellable calls straight to the kernel (preload/src/direct_calls.h),
// which would not act on a cancel; these pin that it hands them back to
// libc first: when the program starts a thread, and when it cancels itself;
// and that a program whose last thread ends with pthread_exit, or returns
// after the main thread did, still ends (host_exit_watch.h).
#include <gtest/gtest.h>

#include "robustness_support.h"

namespace faultline::robustness {
namespace {

TEST(Cancel, ShouldCancelThreadsBlockedInRecvPollAndAcceptAsWithoutThePreload) {
  expect_same_as_without_preload({program_path("cancel_probe"), "threads"},
                                 "recv cancelled\npoll cancelled\naccept cancelled\n");
}

TEST(Cancel, ShouldActOnASelfCancelAtTheNextReadOfASingleThreadedProgram) {
  expect_same_as_without_preload({program_path("cancel_probe"), "self"}, "cancelled in read\n");
}

// FAULTLINE_DIRECT_SYSCALLS=0 keeps every call on libc's path from the start.
TEST(Cancel, ShouldBehaveTheSameWithDirectCallsTurnedOff) {
  expect_same_as_without_preload({program_path("cancel_probe"), "self"}, "cancelled in read\n",
                                 {"FAULTLINE_DIRECT_SYSCALLS=0"});
}

// The shim's own threads never end; the process must end all the same.
TEST(ThreadExit, ShouldEndTheProcessWhenItsOnlyThreadCallsPthreadExit) {
  expect_same_as_without_preload({program_path("cancel_probe"), "exit-main"},
                                 "main thread exits\natexit ran\n");
}

TEST(ThreadExit, ShouldEndTheProcessWhenTheLastThreadReturnsAfterTheMainThreadExited) {
  expect_same_as_without_preload({program_path("cancel_probe"), "exit-main-worker"},
                                 "main thread exits\nworker returns\natexit ran\n");
}

}  // namespace
}  // namespace faultline::robustness
