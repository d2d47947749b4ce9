// Pattern -> syntax tree (fixed pool) -> Thompson program: the compiling
// half of SqlRegex. Apply thread only.
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "byte_set.h"
#include "faultline/shim/sql_regex.h"

namespace faultline::shim {

using namespace byte_set;

class SqlRegexCompiler {
 public:
  SqlRegexCompiler(SqlRegex& out, const char* pattern, char* reason, std::size_t cap) noexcept
      : out_(out),
        begin_(pattern),
        p_(pattern),
        end_(pattern + std::strlen(pattern)),
        reason_(reason),
        cap_(cap) {}

  bool run() noexcept {
    out_.count_ = 0;
    out_.class_count_ = 0;
    const int root = parse_alternation();
    if (failed_) return false;
    if (p_ != end_) return fail("unmatched ')' at offset %d", offset());
    if (!emit(root)) return false;
    return push(SqlRegex::Op::kMatch) >= 0;
  }

 private:
  enum class Kind : std::uint8_t {
    kEmpty,
    kByte,
    kClass,
    kAny,
    kBol,
    kEol,
    kWordB,
    kNotWordB,
    kCat,
    kAlt,
    kRepeat
  };
  struct Node {
    Kind kind = Kind::kEmpty;
    std::uint8_t byte = 0;
    std::int16_t a = -1, b = -1;
    int min = 0, max = 0;  // kRepeat; max -1: unbounded
  };
  static constexpr int kMaxNodes = 1024;
  static constexpr int kMaxRepeat = 1000;

  bool fail(const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3))) {
    if (failed_) return false;
    failed_ = true;
    if (reason_ != nullptr && cap_ > 0) {
      va_list ap;
      va_start(ap, fmt);
      std::vsnprintf(reason_, cap_, fmt, ap);
      va_end(ap);
    }
    return false;
  }
  int offset() const noexcept { return static_cast<int>(p_ - begin_); }

  int node(Kind kind, int a = -1, int b = -1) noexcept {
    if (count_ >= kMaxNodes) {
      fail("pattern too complex (more than %d syntax nodes)", kMaxNodes);
      return 0;
    }
    Node& n = nodes_[count_];
    n = Node{};
    n.kind = kind;
    n.a = static_cast<std::int16_t>(a);
    n.b = static_cast<std::int16_t>(b);
    return count_++;
  }
  int byte_node(unsigned char c) noexcept {
    const int n = node(Kind::kByte);
    nodes_[n].byte = c;
    return n;
  }
  int class_node(const Set& s) noexcept {
    for (int i = 0; i < out_.class_count_; ++i)
      if (std::memcmp(out_.classes_[i], s, sizeof(Set)) == 0) return class_ref(i);
    if (out_.class_count_ >= SqlRegex::kMaxClasses) {
      fail("too many character classes (at most %d)", SqlRegex::kMaxClasses);
      return 0;
    }
    std::memcpy(out_.classes_[out_.class_count_], s, sizeof(Set));
    return class_ref(out_.class_count_++);
  }
  int class_ref(int index) noexcept {
    const int n = node(Kind::kClass);
    nodes_[n].byte = static_cast<std::uint8_t>(index);
    return n;
  }

  bool at(char c) const noexcept { return p_ != end_ && *p_ == c; }

  int parse_alternation() noexcept {
    int left = parse_sequence();
    while (!failed_ && at('|')) {
      ++p_;
      const int right = parse_sequence();
      left = node(Kind::kAlt, left, right);
    }
    return left;
  }

  int parse_sequence() noexcept {
    int seq = node(Kind::kEmpty);
    while (!failed_ && p_ != end_ && *p_ != '|' && *p_ != ')') seq = node(Kind::kCat, seq, parse_repeated());
    return seq;
  }

  // {n}, {n,}, {n,m}: false if the text at p_ is not one.
  bool parse_braces(int& min, int& max) noexcept {
    const char* q = p_ + 1;
    auto number = [&](int& v) {
      if (q == end_ || *q < '0' || *q > '9') return false;
      v = 0;
      while (q != end_ && *q >= '0' && *q <= '9') {
        v = v * 10 + (*q++ - '0');
        if (v > kMaxRepeat) v = kMaxRepeat + 1;
      }
      return true;
    };
    if (!number(min)) return false;
    max = min;
    if (q != end_ && *q == ',') {
      ++q;
      max = -1;
      if (q != end_ && *q != '}' && !number(max)) return false;
    }
    if (q == end_ || *q != '}') return false;
    p_ = q + 1;
    return true;
  }

  int parse_repeated() noexcept {
    int atom = parse_atom();
    while (!failed_ && p_ != end_) {
      int min = 0, max = -1;
      if (*p_ == '*') {
        ++p_;
      } else if (*p_ == '+') {
        min = 1;
        ++p_;
      } else if (*p_ == '?') {
        max = 1;
        ++p_;
      } else if (*p_ == '{') {
        if (!parse_braces(min, max)) {
          fail("invalid {} quantifier at offset %d", offset());
          return atom;
        }
        if (min > kMaxRepeat || max > kMaxRepeat) {
          fail("repeat count above %d", kMaxRepeat);
          return atom;
        }
        if (max >= 0 && max < min) {
          fail("invalid {%d,%d} quantifier: the maximum is below the minimum", min, max);
          return atom;
        }
      } else {
        break;
      }
      if (at('?')) ++p_;  // lazy: the same for a yes/no search
      atom = node(Kind::kRepeat, atom);
      nodes_[atom].min = min;
      nodes_[atom].max = max;
    }
    return atom;
  }

  int parse_atom() noexcept {
    const char c = *p_++;
    switch (c) {
      case '(': {
        if (at('?')) {
          if (p_ + 1 != end_ && p_[1] == ':') {
            p_ += 2;
          } else {
            fail("lookarounds and (?...) groups are not supported, only (?:...)");
            return 0;
          }
        }
        if (++depth_ > 64) {
          fail("groups nested deeper than 64");
          return 0;
        }
        const int inner = parse_alternation();
        --depth_;
        if (failed_) return inner;
        if (!at(')')) {
          fail("unmatched '(' in the pattern");
          return inner;
        }
        ++p_;
        return inner;
      }
      case '[':
        return parse_class();
      case '.': {
        return node(Kind::kAny);
      }
      case '^':
        return node(Kind::kBol);
      case '$':
        return node(Kind::kEol);
      case '\\':
        return parse_escape();
      case '*':
      case '+':
      case '?':
        fail("'%c' at offset %d has nothing to repeat", c, offset() - 1);
        return 0;
      case '{': {
        --p_;
        int min = 0, max = 0;
        if (parse_braces(min, max))
          fail("a {} quantifier at offset %d has nothing to repeat", offset());
        else
          fail("invalid {} quantifier at offset %d", offset());
        return 0;
      }
      default:
        return byte_node(static_cast<unsigned char>(c));
    }
  }

  // After a backslash outside a class.
  int parse_escape() noexcept {
    if (p_ == end_) {
      fail("the pattern ends with a backslash");
      return 0;
    }
    const char c = *p_;
    Set s{};
    switch (c) {
      case 'd':
      case 's':
      case 'w':
      case 'D':
      case 'S':
      case 'W': {
        ++p_;
        const char lower = static_cast<char>(c | 0x20);
        named_set(std::string_view(&lower, 1), s);
        if (c != lower) complement(s);
        return class_node(s);
      }
      case 'b':
        ++p_;
        return node(Kind::kWordB);
      case 'B':
        ++p_;
        return node(Kind::kNotWordB);
      default: {
        int value = 0;
        if (!parse_byte_escape(value)) return 0;
        return byte_node(static_cast<unsigned char>(value));
      }
    }
  }

  // A single-byte escape after the backslash (outside or inside a class):
  // \n \r \t \f \v \0 \xHH \uHHHH and identity escapes.
  bool parse_byte_escape(int& value) noexcept {
    const char c = *p_++;
    switch (c) {
      case 'n':
        value = '\n';
        return true;
      case 'r':
        value = '\r';
        return true;
      case 't':
        value = '\t';
        return true;
      case 'f':
        value = '\f';
        return true;
      case 'v':
        value = '\v';
        return true;
      case '0':
        if (p_ != end_ && *p_ >= '0' && *p_ <= '9') return fail("octal escapes are not supported");
        value = 0;
        return true;
      case 'x':
      case 'u': {
        const int digits = c == 'x' ? 2 : 4;
        value = 0;
        for (int i = 0; i < digits; ++i) {
          const int h = p_ != end_ ? hex_value(*p_) : -1;
          if (h < 0) return fail("\\%c needs %d hex digits", c, digits);
          value = value * 16 + h;
          ++p_;
        }
        if (value > 0xff)
          return fail("\\u%04X is beyond one byte (statements are matched byte by byte)", value);
        return true;
      }
      case 'c':
        return fail("\\c control escapes are not supported");
      default:
        if (c >= '1' && c <= '9') return fail("back-references (\\%c) are not supported", c);
        value = static_cast<unsigned char>(c);  // identity escape, as std::regex takes it
        return true;
    }
  }

  // After '['.
  int parse_class() noexcept {
    Set s{};
    const bool negated = at('^');
    if (negated) ++p_;
    while (!failed_) {
      if (p_ == end_) {
        fail("unmatched '[' in the pattern");
        return 0;
      }
      if (*p_ == ']') {
        ++p_;
        break;
      }
      int lo = 0;
      if (!parse_class_atom(s, lo)) continue;  // a set (\d, [:alpha:]) or a failure
      if (p_ + 1 < end_ && *p_ == '-' && p_[1] != ']') {
        ++p_;
        int hi = 0;
        if (!parse_class_atom(s, hi)) {
          if (!failed_) fail("a class range at offset %d ends in a set", offset());
          return 0;
        }
        if (hi < lo) {
          fail("invalid class range: '%c' is after '%c'", static_cast<char>(lo), static_cast<char>(hi));
          return 0;
        }
        set_range(s, static_cast<unsigned>(lo), static_cast<unsigned>(hi));
      } else {
        set_add(s, static_cast<unsigned>(lo));
      }
    }
    if (negated) complement(s);
    return class_node(s);
  }

  // One element of a class: true with a byte in `value`, false after
  // adding a whole set to `s` (or on failure).
  bool parse_class_atom(Set& s, int& value) noexcept {
    const char c = *p_;
    if (c == '[' && p_ + 1 != end_ && (p_[1] == ':' || p_[1] == '.' || p_[1] == '=')) {
      const char kind = p_[1];
      const char* name = p_ + 2;
      const char* close = name;
      while (close + 1 < end_ && !(close[0] == kind && close[1] == ']')) ++close;
      if (close + 1 >= end_) return fail("unterminated [%c in a class", kind);
      if (kind != ':') return fail("collating elements [%c...%c] are not supported", kind, kind);
      Set named{};
      if (!named_set(std::string_view(name, static_cast<std::size_t>(close - name)), named))
        return fail("unknown class [:%.*s:]", static_cast<int>(close - name), name);
      for (int i = 0; i < 4; ++i) s[i] |= named[i];
      p_ = close + 2;
      return false;
    }
    ++p_;
    if (c != '\\') {
      value = static_cast<unsigned char>(c);
      return true;
    }
    if (p_ == end_) return fail("the pattern ends with a backslash");
    const char e = *p_;
    if (e == 'd' || e == 's' || e == 'w' || e == 'D' || e == 'S' || e == 'W') {
      ++p_;
      Set named{};
      const char lower = static_cast<char>(e | 0x20);
      named_set(std::string_view(&lower, 1), named);
      if (e != lower) complement(named);
      for (int i = 0; i < 4; ++i) s[i] |= named[i];
      return false;
    }
    if (e == 'b') {  // backspace inside a class
      ++p_;
      value = '\b';
      return true;
    }
    if (e == 'B') return fail("\\B inside a class is not supported");
    return parse_byte_escape(value);
  }

  // ---- emission ----
  int push(SqlRegex::Op op, std::uint8_t byte = 0) noexcept {
    if (out_.count_ >= SqlRegex::kMaxInsts) {
      fail("pattern too complex (its automaton has more than %d states)", SqlRegex::kMaxInsts);
      return -1;
    }
    SqlRegex::Inst& i = out_.prog_[out_.count_];
    i = SqlRegex::Inst{};
    i.op = op;
    i.byte = byte;
    return out_.count_++;
  }
  std::uint16_t here() const noexcept { return static_cast<std::uint16_t>(out_.count_); }

  bool emit(int index) noexcept {
    const Node& n = nodes_[index];
    using Op = SqlRegex::Op;
    switch (n.kind) {
      case Kind::kEmpty:
        return true;
      case Kind::kByte:
        return push(Op::kByte, n.byte) >= 0;
      case Kind::kClass:
        return push(Op::kClass, n.byte) >= 0;
      case Kind::kAny:
        return push(Op::kAny) >= 0;
      case Kind::kBol:
        return push(Op::kBol) >= 0;
      case Kind::kEol:
        return push(Op::kEol) >= 0;
      case Kind::kWordB:
        return push(Op::kWordBoundary) >= 0;
      case Kind::kNotWordB:
        return push(Op::kNotWordBoundary) >= 0;
      case Kind::kCat:
        return emit(n.a) && emit(n.b);
      case Kind::kAlt: {
        const int split = push(Op::kSplit);
        if (split < 0) return false;
        out_.prog_[split].x = here();
        if (!emit(n.a)) return false;
        const int jump = push(Op::kJump);
        if (jump < 0) return false;
        out_.prog_[split].y = here();
        if (!emit(n.b)) return false;
        out_.prog_[jump].x = here();
        return true;
      }
      case Kind::kRepeat:
        return emit_repeat(n);
    }
    return fail("internal: unknown syntax node");
  }

  bool emit_repeat(const Node& n) noexcept {
    using Op = SqlRegex::Op;
    for (int i = 0; i < n.min; ++i)
      if (!emit(n.a)) return false;
    if (n.max < 0) {
      const int loop = push(Op::kSplit);
      if (loop < 0) return false;
      out_.prog_[loop].x = here();
      if (!emit(n.a)) return false;
      const int back = push(Op::kJump);
      if (back < 0) return false;
      out_.prog_[back].x = static_cast<std::uint16_t>(loop);
      out_.prog_[loop].y = here();
      return true;
    }
    // Optional copies; each split's y is chained through the previous
    // split's index until the end is known.
    int chain = -1;
    for (int i = n.min; i < n.max; ++i) {
      const int split = push(Op::kSplit);
      if (split < 0) return false;
      out_.prog_[split].x = here();
      out_.prog_[split].y = static_cast<std::uint16_t>(chain < 0 ? 0xffff : chain);
      chain = split;
      if (!emit(n.a)) return false;
    }
    while (chain >= 0) {
      const std::uint16_t previous = out_.prog_[chain].y;
      out_.prog_[chain].y = here();
      chain = previous == 0xffff ? -1 : previous;
    }
    return true;
  }

  SqlRegex& out_;
  const char* begin_;
  const char* p_;
  const char* end_;
  char* reason_;
  std::size_t cap_;
  bool failed_ = false;
  int depth_ = 0;
  int count_ = 0;
  Node nodes_[kMaxNodes];
};

bool SqlRegex::compile(const char* pattern, char* reason, std::size_t cap) noexcept {
  if (reason != nullptr && cap > 0) reason[0] = '\0';
  auto* compiler = new (std::nothrow) SqlRegexCompiler(*this, pattern, reason, cap);
  if (compiler == nullptr) {
    if (reason != nullptr && cap > 0) std::snprintf(reason, cap, "out of memory compiling the --sql pattern");
    count_ = 0;
    return false;
  }
  const bool ok = compiler->run();
  delete compiler;
  if (!ok) {
    count_ = 0;
    return false;
  }
  analyze_start();
  return true;
}

}  // namespace faultline::shim
