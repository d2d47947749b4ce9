#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include "error_of.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

using test::error_of;

TEST(ErrnoParser, ShouldReadNamesInAnyCaseAndNumbers) {
  EXPECT_EQ(parse_errno("ECONNRESET", "--errno"), ECONNRESET);
  EXPECT_EQ(parse_errno("econnrefused", "--errno"), ECONNREFUSED);
  EXPECT_EQ(parse_errno("EAGAIN", "--errno"), EAGAIN);
  EXPECT_EQ(parse_errno("ENOBUFS", "--errno"), ENOBUFS);
  EXPECT_EQ(parse_errno("104", "--errno"), 104);
}

TEST(ErrnoParser, ShouldRejectUnknownNamesAndNumbers) {
  EXPECT_EQ(
      error_of([] { parse_errno("EBOGUS", "--errno"); }),
      "unknown errno 'EBOGUS' for --errno: expected a name such as ECONNRESET, ECONNREFUSED, EAGAIN, EINTR, "
      "ENOBUFS, ETIMEDOUT or its number");
  EXPECT_NE(error_of([] { parse_errno("0", "--errno"); }), "");
  EXPECT_NE(error_of([] { parse_errno("-4", "--errno"); }), "");
  EXPECT_NE(error_of([] { parse_errno("99999", "--errno"); }), "");
}

TEST(SignalParser, ShouldReadNamesWithOrWithoutSigAndNumbers) {
  EXPECT_EQ(parse_signal("SIGKILL", "--signal"), SIGKILL);
  EXPECT_EQ(parse_signal("TERM", "--signal"), SIGTERM);
  EXPECT_EQ(parse_signal("sigstop", "--signal"), SIGSTOP);
  EXPECT_EQ(parse_signal("9", "--signal"), 9);
}

TEST(SignalParser, ShouldRejectUnknownSignals) {
  EXPECT_EQ(
      error_of([] { parse_signal("SIGNOPE", "--signal"); }),
      "unknown signal 'SIGNOPE' for --signal: expected a name such as SIGKILL, SIGTERM, KILL, term or its "
      "number");
  EXPECT_NE(error_of([] { parse_signal("0", "--signal"); }), "");
  EXPECT_NE(error_of([] { parse_signal("1000", "--signal"); }), "");
}

}  // namespace
}  // namespace faultline::cli
