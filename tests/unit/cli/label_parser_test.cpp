#include <gtest/gtest.h>

#include "error_of.h"
#include "faultline/cli/parse.h"
#include "faultline/cli/selector.h"

namespace faultline::cli {
namespace {

using test::error_of;

TEST(LabelParser, ShouldReadCommaSeparatedPairs) {
  const Labels l = parse_labels("app=order-service,zone=a", "-l");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], (std::pair<std::string, std::string>{"app", "order-service"}));
  EXPECT_EQ(l[1], (std::pair<std::string, std::string>{"zone", "a"}));
  EXPECT_EQ(join_labels(l), "app=order-service,zone=a");
}

TEST(LabelParser, ShouldRejectPairsWithoutKeyValueOrWithSpaces) {
  EXPECT_EQ(error_of([] { parse_labels("app", "-l"); }),
            "invalid label 'app' in -l app: expected KEY=VAL[,KEY=VAL...] without spaces, e.g. "
            "app=order-service,zone=a");
  for (const char* bad : {"", "app=", "=x", "a=b,", "a=b,,c=d", "a=b=c", "a b=c", "a=b c"})
    EXPECT_NE(error_of([bad] { parse_labels(bad, "-l"); }), "") << bad;
}

TEST(LabelParser, ShouldSplitPublishedLabelsLeniently) {
  EXPECT_TRUE(split_labels("").empty());
  const Labels l = split_labels("app=x,junk,zone=");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1], (std::pair<std::string, std::string>{"zone", ""}));
}

TEST(GeModelParser, ShouldReadFourPercentagesAsPpm) {
  const GeModelPpm g = parse_gemodel("1,30,100,0.5", "--gemodel");
  EXPECT_EQ(g.p, 10'000u);
  EXPECT_EQ(g.r, 300'000u);
  EXPECT_EQ(g.one_minus_h, 1'000'000u);
  EXPECT_EQ(g.one_minus_k, 5'000u);
}

TEST(GeModelParser, ShouldDefaultLikeNetem) {
  const GeModelPpm g = parse_gemodel("2%", "--gemodel");
  EXPECT_EQ(g.p, 20'000u);
  EXPECT_EQ(g.r, 1'000'000u);
  EXPECT_EQ(g.one_minus_h, 1'000'000u);
  EXPECT_EQ(g.one_minus_k, 0u);
}

TEST(GeModelParser, ShouldRejectTooManyOrBadValues) {
  EXPECT_EQ(
      error_of([] { parse_gemodel("1,2,3,4,5", "--gemodel"); }),
      "invalid Gilbert-Elliott model '1,2,3,4,5' for --gemodel: expected p[,r[,1-h[,1-k]]] as percentages "
      "0..100, e.g. 1,30,100,0");
  EXPECT_NE(error_of([] { parse_gemodel("1,200", "--gemodel"); }), "");
  EXPECT_NE(error_of([] { parse_gemodel("", "--gemodel"); }), "");
  EXPECT_NE(error_of([] { parse_gemodel("1,,3", "--gemodel"); }), "");
}

TEST(SelectorMatch, ShouldRequireEveryLabelOfTheSelector) {
  Selector s;
  s.labels = {{"app", "md"}, {"zone", "a"}};
  EXPECT_TRUE(s.matches(1, "prog", "app=md,zone=a,tier=1"));
  EXPECT_FALSE(s.matches(1, "prog", "app=md"));
  EXPECT_FALSE(s.matches(1, "prog", "app=md,zone=b"));
  EXPECT_FALSE(s.matches(1, "prog", ""));
}

TEST(SelectorMatch, ShouldCombineKindsWithAndAndRepeatsWithOr) {
  Selector s;
  s.pids = {10, 11};
  s.names = {"md"};
  EXPECT_TRUE(s.matches(10, "md", ""));
  EXPECT_TRUE(s.matches(11, "md", ""));
  EXPECT_FALSE(s.matches(12, "md", ""));
  EXPECT_FALSE(s.matches(10, "gw", ""));
  EXPECT_EQ(s.describe(), "-p 10 -p 11 -n md");
}

TEST(SelectorMatch, ShouldMatchEverythingWithAll) {
  Selector s;
  s.all = true;
  EXPECT_TRUE(s.matches(5, "x", "a=b"));
  EXPECT_EQ(s.describe(), "--all");
}

}  // namespace
}  // namespace faultline::cli
