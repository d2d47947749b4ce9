#include "faultline/shim/sql_regex.h"

#include <cstring>

#include "byte_set.h"

namespace faultline::shim {

using namespace byte_set;

void SqlRegex::analyze_start() noexcept {
  std::uint64_t seen[kMaxInsts / 64] = {};
  std::uint16_t stack[kMaxInsts];
  int top = 0;
  stack[top++] = 0;
  seen[0] |= 1u;
  std::memset(first_bytes_, 0, sizeof first_bytes_);
  start_may_match_empty_ = false;
  auto follow = [&](std::uint16_t t) {
    if (t >= count_ || ((seen[t >> 6] >> (t & 63)) & 1u)) return;
    seen[t >> 6] |= 1ULL << (t & 63);
    stack[top++] = t;
  };
  while (top > 0) {
    const std::uint16_t pc = stack[--top];
    const Inst& in = prog_[pc];
    switch (in.op) {
      case Op::kMatch:
        start_may_match_empty_ = true;
        break;
      case Op::kByte:
        set_add(first_bytes_, in.byte);
        break;
      case Op::kClass:
        for (int w = 0; w < 4; ++w) first_bytes_[w] |= classes_[in.byte][w];
        break;
      case Op::kAny:
        for (std::uint64_t& w : first_bytes_) w = ~0ULL;
        first_bytes_[0] &= ~((1ULL << '\n') | (1ULL << '\r'));
        break;
      case Op::kJump:
        follow(in.x);
        break;
      case Op::kSplit:
        follow(in.x);
        follow(in.y);
        break;
      case Op::kBol:  // never true after position 0
        break;
      case Op::kEol:
      case Op::kWordBoundary:
      case Op::kNotWordBoundary:
        follow(static_cast<std::uint16_t>(pc + 1));
        break;
    }
  }
  int members = 0;
  for (int c = 0; c < 256 && members < 2; ++c)
    if (set_has(first_bytes_, static_cast<unsigned char>(c))) {
      first_byte_ = c;
      ++members;
    }
  single_first_byte_ = members == 1;
  start_is_anchored_ = members == 0;
}

// Pike VM: the set of live states advances one byte at a time; the start
// state joins at every position (an unanchored search). Each state enters
// the set at most once per position, so the work is O(length * states).
bool SqlRegex::search(std::string_view text) const noexcept {
  if (count_ == 0) return false;
  const std::size_t n = text.size() < kMaxSearchBytes ? text.size() : kMaxSearchBytes;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::uint16_t live[kMaxInsts];     // consuming states at this position
  std::uint16_t carried[kMaxInsts];  // states reached by consuming the previous byte
  std::uint16_t stack[kMaxInsts];
  std::uint64_t seen[kMaxInsts / 64];
  int carried_count = 0;
  for (std::size_t i = 0;; ++i) {
    if (carried_count == 0 && i > 0 && !start_may_match_empty_) {
      // Only the start state can begin a match from here: skip to a byte
      // it accepts, or give up if there is none.
      if (single_first_byte_) {
        const void* at = i < n ? std::memchr(bytes + i, first_byte_, n - i) : nullptr;
        if (at == nullptr) return false;
        i = static_cast<std::size_t>(static_cast<const unsigned char*>(at) - bytes);
      } else {
        if (start_is_anchored_) return false;
        while (i < n && !set_has(first_bytes_, bytes[i])) ++i;
        if (i == n) return false;
      }
    }
    std::memset(seen, 0, sizeof seen);
    int live_count = 0;
    const bool prev_word = i > 0 && is_word(bytes[i - 1]);
    const bool next_word = i < text.size() && is_word(bytes[i]);
    // Closure of the carried states, then of the start state.
    for (int k = 0; k <= carried_count; ++k) {
      const std::uint16_t start = k < carried_count ? carried[k] : 0;
      if ((seen[start >> 6] >> (start & 63)) & 1u) continue;
      seen[start >> 6] |= 1ULL << (start & 63);
      int top = 0;
      stack[top++] = start;
      while (top > 0) {
        const std::uint16_t pc = stack[--top];
        const Inst& in = prog_[pc];
        std::uint16_t next[2];
        int next_count = 0;
        switch (in.op) {
          case Op::kMatch:
            return true;
          case Op::kByte:
          case Op::kClass:
          case Op::kAny:
            live[live_count++] = pc;
            break;
          case Op::kJump:
            next[next_count++] = in.x;
            break;
          case Op::kSplit:
            next[next_count++] = in.y;
            next[next_count++] = in.x;
            break;
          case Op::kBol:
            if (i == 0) next[next_count++] = static_cast<std::uint16_t>(pc + 1);
            break;
          case Op::kEol:
            if (i == text.size()) next[next_count++] = static_cast<std::uint16_t>(pc + 1);
            break;
          case Op::kWordBoundary:
            if (prev_word != next_word) next[next_count++] = static_cast<std::uint16_t>(pc + 1);
            break;
          case Op::kNotWordBoundary:
            if (prev_word == next_word) next[next_count++] = static_cast<std::uint16_t>(pc + 1);
            break;
        }
        for (int j = 0; j < next_count; ++j) {
          const std::uint16_t t = next[j];
          if (t >= count_ || ((seen[t >> 6] >> (t & 63)) & 1u)) continue;
          seen[t >> 6] |= 1ULL << (t & 63);
          stack[top++] = t;
        }
      }
    }
    if (i == n) return false;
    const unsigned char c = bytes[i];
    carried_count = 0;
    for (int k = 0; k < live_count; ++k) {
      const Inst& in = prog_[live[k]];
      bool ok = false;
      switch (in.op) {
        case Op::kByte:
          ok = in.byte == c;
          break;
        case Op::kClass:
          ok = set_has(classes_[in.byte], c);
          break;
        case Op::kAny:
          ok = c != '\n' && c != '\r';
          break;
        default:
          break;
      }
      if (ok) carried[carried_count++] = static_cast<std::uint16_t>(live[k] + 1);
    }
  }
}

}  // namespace faultline::shim
