#include "faultline/shim/pq_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "faultline/shim/engine.h"
#include "faultline/shim/plan.h"
#include "faultline/shim/sql_regex.h"
#include "plan_scan.h"

namespace faultline::shim {
namespace {

// A compiled --sql pattern. generation 0: free. Readers pin it with `users`
// and re-check the generation; the apply thread rewrites a holder only when
// it is free and unpinned (both seq_cst, so one of the two sides always
// sees the other).
struct RegexHolder {
  std::atomic<std::uint64_t> generation{0};
  std::atomic<std::uint32_t> users{0};
  SqlRegex regex;
};
// Twice the fault table: a retired pattern may stay pinned for a moment.
constexpr int kHolders = 2 * static_cast<int>(abi::kMaxFaults);
constinit RegexHolder g_regexes[kHolders];

constexpr std::uint64_t kPqPctTag = 0x70712d7063742d67ULL;  // "pq-pct-g"

bool acts_on(abi::FaultKind kind, PqOp op) noexcept {
  switch (kind) {
    case abi::FaultKind::kPqRefuse:
      return op == PqOp::kConnect;
    case abi::FaultKind::kPqSever:
    case abi::FaultKind::kPqSlow:
    case abi::FaultKind::kPqError:
      return op == PqOp::kStatement;
    default:
      return false;
  }
}

bool sql_matches(std::uint64_t generation, std::string_view sql) noexcept {
  for (RegexHolder& h : g_regexes) {
    if (h.generation.load(std::memory_order_relaxed) != generation) continue;
    h.users.fetch_add(1, std::memory_order_seq_cst);
    const bool pinned = h.generation.load(std::memory_order_seq_cst) == generation;
    const bool matched = pinned && h.regex.search(sql);
    h.users.fetch_sub(1, std::memory_order_release);
    return matched;
  }
  return false;  // disarmed meanwhile
}

void copy_field(char* dst, const char* src, std::size_t cap) noexcept {
  std::size_t n = 0;
  for (; n + 1 < cap && src[n] != '\0'; ++n) dst[n] = src[n];
  dst[n] = '\0';
}

}  // namespace

bool is_pq_kind(abi::FaultKind kind) noexcept {
  return kind == abi::FaultKind::kPqSever || kind == abi::FaultKind::kPqSlow ||
         kind == abi::FaultKind::kPqError || kind == abi::FaultKind::kPqRefuse;
}

bool pq_arm(const abi::FaultSpec& spec, std::uint64_t generation, char* reason, std::size_t cap) noexcept {
  const char* pattern = spec.match.sql_regex;
  if (pattern[0] == '\0') return true;
  if (static_cast<abi::FaultKind>(spec.kind) == abi::FaultKind::kPqRefuse) {
    std::snprintf(reason, cap,
                  "pq-refuse acts on connections, which have no statement: --sql does not apply");
    return false;
  }
  for (RegexHolder& h : g_regexes) {
    if (h.generation.load(std::memory_order_seq_cst) != 0 || h.users.load(std::memory_order_seq_cst) != 0)
      continue;
    char why[abi::kReasonLen];
    if (!h.regex.compile(pattern, why, sizeof why)) {
      std::snprintf(reason, cap, "--sql '%.*s': %s", 48, pattern, why);
      return false;
    }
    h.generation.store(generation, std::memory_order_seq_cst);
    return true;
  }
  std::snprintf(reason, cap, "every --sql pattern holder is in use: retry in a moment");
  return false;
}

void pq_disarm(std::uint64_t generation) noexcept {
  if (generation == 0) return;
  for (RegexHolder& h : g_regexes) {
    std::uint64_t g = generation;
    if (h.generation.compare_exchange_strong(g, 0, std::memory_order_seq_cst)) return;
  }
}

void pq_reset_in_child() noexcept {
  for (RegexHolder& h : g_regexes) {
    h.generation.store(0, std::memory_order_relaxed);
    h.users.store(0, std::memory_order_relaxed);
  }
}

PqVerdict decide_pq(const PqCall& call) noexcept {
  PqVerdict verdict;
  const bool intact = scan::for_each_published([&](const CompiledFault& f, abi::FaultSlot& counters) {
    const auto kind = static_cast<abi::FaultKind>(f.spec.kind);
    if (!acts_on(kind, call.op)) return;
    const abi::Match& m = f.spec.match;
    if (m.db[0] != '\0' && (call.db == nullptr || std::strncmp(call.db, m.db, abi::kDbLen) != 0)) return;
    if (m.sql_regex[0] != '\0' && (!call.sql_known || !sql_matches(f.generation, call.sql))) return;
    if (!scan::fires(f, counters, kPqPctTag)) return;
    switch (kind) {
      case abi::FaultKind::kPqRefuse:
        verdict.refuse = true;
        break;
      case abi::FaultKind::kPqSever:
        verdict.sever = true;
        break;
      case abi::FaultKind::kPqSlow:
        verdict.delay_ns += std::max<std::int64_t>(f.spec.delay_ns, 0);
        break;
      case abi::FaultKind::kPqError:
        if (!verdict.error) {
          verdict.error = true;
          copy_field(verdict.sqlstate, f.spec.sqlstate, sizeof verdict.sqlstate);
          copy_field(verdict.message, f.spec.message, sizeof verdict.message);
        }
        break;
      default:
        break;
    }
    ++verdict.fired;
  });
  // The storage was reused under a stalled reader: what it read may be torn.
  if (!intact) return PqVerdict{};
  if (verdict.sever) verdict.error = false;
  return verdict;
}

}  // namespace faultline::shim
