// Signals and errno look the same to a program with the idle preload as
// without it: a handler installed without SA_RESTART makes a blocked
// receive fail with EINTR, with SA_RESTART the receive restarts, and a
// successful call leaves errno as it was.
#include <gtest/gtest.h>

#include "robustness_support.h"

namespace faultline::robustness {
namespace {

std::string expected_interruptions() {
  std::string expected;
  for (const char* api : {"recv", "recvfrom", "recvmsg", "read", "readv"}) {
    expected += std::string(api) + " restart=0 result=-1 errno=EINTR handled=1\n";
    expected += std::string(api) + " restart=1 result=1 errno=sentinel handled=1\n";
  }
  expected += "accept restart=0 result=-1 errno=EINTR handled=1\n";
  expected += "accept restart=1 result=0 errno=sentinel handled=1\n";
  return expected;
}

// The probe's second thread sends the signal: the calls go through libc.
TEST(Signals, ShouldInterruptOrRestartBlockedReceivesExactlyAsWithoutThePreload) {
  expect_same_as_without_preload({program_path("signal_probe"), "signals"}, expected_interruptions());
}

// A child process sends it: the probe stays single-threaded and the
// preload makes its calls straight to the kernel (direct_calls.h).
TEST(Signals, ShouldInterruptOrRestartDirectCallsExactlyAsWithoutThePreloadInASingleThreadedProgram) {
  expect_same_as_without_preload({program_path("signal_probe"), "signals-single"}, expected_interruptions());
}

TEST(Errno, ShouldLeaveErrnoUntouchedBySuccessfulWrappedCalls) {
  const Outcome plain = run_captured({program_path("signal_probe"), "errno"}, false);
  const Outcome preloaded = run_captured({program_path("signal_probe"), "errno"}, true);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output,
            "errno socket result=0 errno=sentinel\n"
            "errno connect result=0 errno=sentinel\n"
            "errno send result=4 errno=sentinel\n"
            "errno recv result=4 errno=sentinel\n"
            "errno sendto result=5 errno=sentinel\n"
            "errno read result=5 errno=sentinel\n"
            "errno writev result=6 errno=sentinel\n"
            "errno readv result=6 errno=sentinel\n"
            "errno write(pipe) result=3 errno=sentinel\n"
            "errno read(pipe) result=3 errno=sentinel\n"
            "errno dup2 result=0 errno=sentinel\n"
            "errno dup3 result=0 errno=sentinel\n"
            "errno close(dup) result=0 errno=sentinel\n"
            "errno close(socket) result=0 errno=sentinel\n");
  EXPECT_EQ(preloaded, plain);
}

}  // namespace
}  // namespace faultline::robustness
