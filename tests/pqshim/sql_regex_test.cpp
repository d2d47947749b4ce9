// The --sql matcher agrees with std::regex (ECMAScript, regex_search), the
// CLI's checker, on every pattern both accept, and rejects what it cannot
// do with a reason instead of matching wrongly.
#include "faultline/shim/sql_regex.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

namespace faultline::shim {
namespace {

bool compiles(SqlRegex& re, const std::string& pattern, std::string* reason = nullptr) {
  char why[128];
  const bool ok = re.compile(pattern.c_str(), why, sizeof why);
  if (reason != nullptr) *reason = why;
  return ok;
}

const std::vector<std::string> kSubjects = {
    "",
    "SELECT 1",
    "select 1",
    "INSERT INTO trades (symbol, side, qty, price) VALUES ($1, $2, $3, $4)",
    "UPDATE trades SET qty = 2 WHERE id = 7",
    "SELECT *\nFROM trades\r\nWHERE symbol = 'AAPL'",
    "  BEGIN; COMMIT;",
    "a",
    "ab",
    "aab",
    "abc_def-9",
    "x{2}",
    "tab\there",
    std::string("nul\0byte", 8),
    "\xc3\xa9t\xc3\xa9",
};

TEST(SqlRegex, ShouldAgreeWithStdRegexOnTypicalStatementPatterns) {
  const std::vector<std::string> patterns = {
      "",
      "^INSERT",
      "INSERT INTO trades",
      "^(INSERT|UPDATE)\\b",
      "trades",
      "^SELECT 1$",
      "(?:from|FROM)\\s+trades",
      "SELECT.*trades",
      "SELECT[\\s\\S]*trades",
      "[^]*trades",
      "\\$[0-9]+",
      "\\bqty\\b",
      "\\Bym",
      "[[:upper:]]{6}",
      "[a-c]+_",
      "a{2}",
      "a{1,2}b",
      "a{0,}b",
      "a{2,}",
      "x\\{2\\}",
      "\\x41|\\u0061",
      "\\t",
      "\\0",
      "[\\b]",
      "^$",
      "(a|)+b",
      "(a*)*b",
      "a**",
      "a+?b",
      "\\d\\D\\w\\W",
      "[-a]",
      "[a-]",
      "\\/",
      "\\q",
      "]",
      "}",
      "[.]",
      "\\.",
      "[^a-z ]",
      "\xc3\xa9",
      "a|b|c|d|e|f|g|h|i|j|k",
      "(((a)))",
      "COMMIT;$",
  };
  for (const std::string& pattern : patterns) {
    const std::regex reference(pattern, std::regex::ECMAScript);
    SqlRegex mine;
    std::string why;
    ASSERT_TRUE(compiles(mine, pattern, &why)) << pattern << ": " << why;
    for (const std::string& s : kSubjects)
      EXPECT_EQ(mine.search(s), std::regex_search(s, reference))
          << "pattern '" << pattern << "' on '" << s << "'";
  }
}

TEST(SqlRegex, ShouldAgreeWithStdRegexOnRandomPatterns) {
  std::mt19937 rng(20240611);
  const std::string alphabet = "ab.|*+?()[]^$\\{},-0123dsw:";
  const std::string subject_alphabet = "ab01 -_\n{},";
  int compared = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string pattern;
    const int len = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < len; ++i) pattern += alphabet[rng() % alphabet.size()];
    std::regex reference;
    try {
      reference = std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      continue;
    }
    SqlRegex mine;
    std::string why;
    if (!compiles(mine, pattern, &why)) {
      // Only what is documented as unsupported may be refused.
      const bool unsupported =
          why.find("not supported") != std::string::npos || why.find("back-reference") != std::string::npos;
      EXPECT_TRUE(unsupported) << "refused '" << pattern << "': " << why;
      continue;
    }
    for (int k = 0; k < 8; ++k) {
      std::string s;
      const int slen = static_cast<int>(rng() % 7);
      for (int i = 0; i < slen; ++i) s += subject_alphabet[rng() % subject_alphabet.size()];
      ASSERT_EQ(mine.search(s), std::regex_search(s, reference))
          << "pattern '" << pattern << "' on '" << s << "'";
      ++compared;
    }
  }
  EXPECT_GT(compared, 4000);
}

TEST(SqlRegex, ShouldRejectWhatItCannotMatchWithAReason) {
  for (const char* pattern : {"(a)\\1", "(?=a)", "(?!a)", "(?<=a)b", "\\cJ", "\\u0100", "[[.a.]]",
                              "[[:nope:]]", "a{3,2}", "a{1001}", "(a", "a)", "*a", "a{", "[a", "\\"}) {
    SqlRegex re;
    std::string why;
    EXPECT_FALSE(compiles(re, pattern, &why)) << pattern;
    EXPECT_FALSE(why.empty()) << pattern;
    EXPECT_FALSE(re.search("a")) << pattern;
  }
}

TEST(SqlRegex, ShouldRejectAPatternWhoseAutomatonIsTooLarge) {
  SqlRegex re;
  std::string why;
  EXPECT_FALSE(compiles(re, "(abcdefgh){100}", &why));
  EXPECT_NE(why.find("too complex"), std::string::npos) << why;
}

TEST(SqlRegex, ShouldSearchOnlyTheFirstBytesOfAVeryLongStatement) {
  SqlRegex near, far, end;
  ASSERT_TRUE(compiles(near, "VALUES"));
  ASSERT_TRUE(compiles(far, "needle"));
  ASSERT_TRUE(compiles(end, "x$"));
  std::string statement = "INSERT INTO t VALUES " + std::string(1 << 20, 'x') + "needle";
  EXPECT_TRUE(near.search(statement));
  EXPECT_FALSE(far.search(statement));  // beyond kMaxSearchBytes
  EXPECT_FALSE(end.search(statement));  // `$` needs the real end
  statement.resize(100);
  EXPECT_TRUE(end.search(statement));
}

TEST(SqlRegex, ShouldMatchNothingWhenNotCompiled) {
  const SqlRegex re;
  EXPECT_FALSE(re.search("anything"));
}

}  // namespace
}  // namespace faultline::shim
