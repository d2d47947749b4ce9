// The `--sql REGEX` matcher of libpq faults: ECMAScript syntax (what the CLI
// checks with std::regex), compiled once on the apply thread into a Thompson
// NFA and searched with a Pike VM: linear in the statement's length, no
// backtracking, no allocation, no exception, no lock, bounded stack, safe to
// search from many threads at once. std::regex is none of these (1.5 us on
// "SELECT 1", seconds on a 4 KiB statement with ".*x").
//
// Supported: literals and identity escapes, `.` (any byte but \n and \r, as
// in ECMAScript), classes `[...]` with ranges, negation and [:name:], the
// escapes \d \D \s \S \w \W \b \B \n \r \t \f \v \0 \xHH \uHHHH (up to
// 0xFF), anchors ^ $ (whole statement: no multiline), groups ( ) and (?: ),
// alternation, and the quantifiers * + ? {n} {n,} {n,m} (greedy or lazy:
// the same for a yes/no search). Rejected with a reason: back-references,
// lookarounds, \c, and patterns whose automaton exceeds kMaxInsts. Bytes
// are matched as they are (like std::regex<char>); case matters.
//
// Statements longer than kMaxSearchBytes are searched in their first
// kMaxSearchBytes only; `$` then never matches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::shim {

class SqlRegex {
 public:
  static constexpr int kMaxInsts = 512;
  static constexpr int kMaxClasses = 32;
  static constexpr std::size_t kMaxSearchBytes = 8192;

  // False with a NUL-terminated reason (at most `cap` bytes) if the pattern
  // is not supported. Apply thread only.
  bool compile(const char* pattern, char* reason, std::size_t cap) noexcept;

  // True if the pattern matches anywhere in `text` (std::regex_search).
  bool search(std::string_view text) const noexcept;

  int size() const noexcept { return count_; }

  enum class Op : std::uint8_t {
    kByte,
    kClass,
    kAny,
    kSplit,
    kJump,
    kBol,
    kEol,
    kWordBoundary,
    kNotWordBoundary,
    kMatch
  };
  // All-zero when default-constructed, so arrays of SqlRegex live in .bss.
  struct Inst {
    Op op = Op::kByte;
    std::uint8_t byte = 0;  // kByte: the byte; kClass: the class index
    std::uint16_t x = 0;    // kSplit, kJump: first target
    std::uint16_t y = 0;    // kSplit: second target
  };

 private:
  // What the start state can do away from the statement's start, with
  // every assertion but ^ assumed to pass: the search skips positions
  // whose byte no start state accepts, and stops early when nothing is
  // alive and the start can do nothing more (anchored patterns).
  void analyze_start() noexcept;

  Inst prog_[kMaxInsts];
  std::uint64_t classes_[kMaxClasses][4] = {};  // 256-bit sets of bytes
  std::uint64_t first_bytes_[4] = {};           // bytes a start state consumes after position 0
  int count_ = 0;
  int class_count_ = 0;
  bool start_may_match_empty_ = false;  // a match is reachable from the start without consuming
  int first_byte_ = 0;                  // the only byte of first_bytes_, when single_first_byte_
  bool single_first_byte_ = false;
  bool start_is_anchored_ = false;  // first_bytes_ is empty: only position 0 can start a match

  friend class SqlRegexCompiler;
};

}  // namespace faultline::shim
