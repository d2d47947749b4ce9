#include "faultline/experiment/jsonpath.h"

#include <gtest/gtest.h>

namespace faultline::experiment {
namespace {

using Json = nlohmann::json;

std::vector<Json> select(const std::string& path, const Json& doc) {
  std::string error;
  const auto p = JsonPath::parse(path, &error);
  EXPECT_TRUE(p.has_value()) << error;
  return p ? p->match(doc) : std::vector<Json>{};
}

const Json kDoc = Json::parse(R"({
  "store": {"book": [{"title": "A", "price": 8}, {"title": "B", "price": 12, "isbn": "x"}],
            "bicycle": {"price": 19.95}},
  "odd key": 1, "timestamp": "2026-12-07T02:00:00Z"})");

TEST(JsonPath, ShouldSelectMembersAndIndexes) {
  EXPECT_EQ(select("$.store.book[0].title", kDoc), std::vector<Json>{"A"});
  EXPECT_EQ(select("$.store.book[-1].title", kDoc), std::vector<Json>{"B"});
  EXPECT_EQ(select("$['odd key']", kDoc), std::vector<Json>{1});
  EXPECT_EQ(select("$.timestamp", kDoc), std::vector<Json>{"2026-12-07T02:00:00Z"});
  EXPECT_EQ(select("$", kDoc).size(), 1u);
}

TEST(JsonPath, ShouldSelectEveryDescendantWithRecursiveDescent) {
  // Members come in key order (nlohmann::json keeps objects sorted).
  EXPECT_EQ(select("$..price", kDoc), (std::vector<Json>{19.95, 8, 12}));
  EXPECT_EQ(select("$..isbn", kDoc), std::vector<Json>{"x"});
  EXPECT_EQ(select("$..book[1].title", kDoc), std::vector<Json>{"B"});
}

TEST(JsonPath, ShouldExpandWildcards) {
  EXPECT_EQ(select("$.store.book[*].title", kDoc), (std::vector<Json>{"A", "B"}));
  EXPECT_EQ(select("$.store.*", kDoc).size(), 2u);
}

TEST(JsonPath, ShouldSelectNothingWhenThePathIsAbsent) {
  EXPECT_TRUE(select("$.store.book[5]", kDoc).empty());
  EXPECT_TRUE(select("$.nothing.here", kDoc).empty());
  EXPECT_TRUE(select("$.store.book.title", kDoc).empty());
}

TEST(JsonPath, ShouldRejectWhatItDoesNotSupportWithThePosition) {
  std::string error;
  EXPECT_FALSE(JsonPath::parse("store.book", &error));
  EXPECT_NE(error.find("expected '$'"), std::string::npos);
  EXPECT_FALSE(JsonPath::parse("$.store[?(@.price < 10)]", &error));
  EXPECT_NE(error.find("position 9"), std::string::npos) << error;
  EXPECT_FALSE(JsonPath::parse("$.a[1", &error));
  EXPECT_FALSE(JsonPath::parse("$.", &error));
}

}  // namespace
}  // namespace faultline::experiment
