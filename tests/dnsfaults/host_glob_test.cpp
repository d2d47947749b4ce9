// The --host glob of dns faults.
#include "faultline/shim/host_glob.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline::shim {
namespace {

TEST(HostGlob, ShouldMatchALiteralNameIgnoringCase) {
  EXPECT_TRUE(host_glob_matches("db.internal", "db.internal"));
  EXPECT_TRUE(host_glob_matches("DB.Internal", "db.INTERNAL"));
  EXPECT_FALSE(host_glob_matches("db.internal", "db.internal2"));
  EXPECT_FALSE(host_glob_matches("db.internal", "db.interna"));
  EXPECT_FALSE(host_glob_matches("db.internal", "xdb.internal"));
}

TEST(HostGlob, ShouldLetStarMatchAnyRunIncludingDots) {
  EXPECT_TRUE(host_glob_matches("*.example.com", "api.example.com"));
  EXPECT_TRUE(host_glob_matches("*.example.com", "a.b.c.example.com"));
  EXPECT_FALSE(host_glob_matches("*.example.com", "example.com"));
  EXPECT_FALSE(host_glob_matches("*.example.com", "example.com.evil"));
  EXPECT_TRUE(host_glob_matches("*", "anything.at.all"));
  EXPECT_TRUE(host_glob_matches("db-*", "db-"));
  EXPECT_TRUE(host_glob_matches("db-*-replica", "db-eu-west-replica"));
  EXPECT_FALSE(host_glob_matches("db-*-replica", "db-eu-west-primary"));
  EXPECT_TRUE(host_glob_matches("**x", "x"));
}

TEST(HostGlob, ShouldLetQuestionMarkMatchExactlyOneCharacter) {
  EXPECT_TRUE(host_glob_matches("db?", "db1"));
  EXPECT_FALSE(host_glob_matches("db?", "db"));
  EXPECT_FALSE(host_glob_matches("db?", "db12"));
  EXPECT_TRUE(host_glob_matches("?*", "a"));
  EXPECT_FALSE(host_glob_matches("?*", ""));
}

TEST(HostGlob, ShouldBacktrackPastAnEarlyPartialMatch) {
  EXPECT_TRUE(host_glob_matches("*ab", "aaab"));
  EXPECT_TRUE(host_glob_matches("*a?c*", "xxabxabcyy"));
  EXPECT_FALSE(host_glob_matches("*a?c", "xxabxabcyy"));
}

TEST(HostGlob, ShouldTreatOneTrailingDotAsTheSameName) {
  EXPECT_TRUE(host_glob_matches("db.internal", "db.internal."));
  EXPECT_TRUE(host_glob_matches("db.internal.", "db.internal"));
  EXPECT_FALSE(host_glob_matches("db.internal", "db.internal.."));
}

TEST(HostGlob, ShouldMatchAnEmptyGlobOnlyToAnEmptyName) {
  EXPECT_TRUE(host_glob_matches("", ""));
  EXPECT_FALSE(host_glob_matches("", "a"));
  EXPECT_TRUE(host_glob_matches("*", ""));
}

TEST(HostGlob, ShouldStayQuickOnAPathologicalPattern) {
  // Exponential for a backtracking matcher; at most glob x host steps here.
  const std::string host(253, 'a');
  EXPECT_FALSE(host_glob_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", host));
}

}  // namespace
}  // namespace faultline::shim
