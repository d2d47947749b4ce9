#include "plan_scan.h"

#include <new>
#include <type_traits>

namespace faultline::shim::scan {
namespace {

// Raw storage keeps the TLS block zero-initialized (no TLS constructor, no
// guard on access). A slot holds one arming at a time, whatever its kind,
// so the engines share the array: the generation tells whose stream it is.
struct alignas(Rng) RawRng {
  unsigned char bytes[sizeof(Rng)];
};
static_assert(std::is_trivially_destructible_v<Rng>);
constinit thread_local RawRng t_pct[abi::kMaxFaults] __attribute__((tls_model("initial-exec"))) = {};
constinit thread_local std::uint64_t t_pct_generation[abi::kMaxFaults]
    __attribute__((tls_model("initial-exec")));
constinit thread_local std::uint32_t t_ordinal __attribute__((tls_model("initial-exec"))) = 0;
constinit std::atomic<std::uint32_t> g_threads{0};

}  // namespace

Rng& pct_stream(const CompiledFault& f, std::uint64_t tag) noexcept {
  unsigned char* raw = t_pct[f.slot].bytes;
  if (t_pct_generation[f.slot] == f.generation) return *std::launder(reinterpret_cast<Rng*>(raw));
  if (t_ordinal == 0) t_ordinal = g_threads.fetch_add(1, std::memory_order_relaxed) + 1;
  Rng* rng = new (raw) Rng(mix_seed(f.seed ^ tag, t_ordinal - 1));
  t_pct_generation[f.slot] = f.generation;
  return *rng;
}

bool fires(const CompiledFault& f, abi::FaultSlot& counters, std::uint64_t tag) noexcept {
  counters.matched.fetch_add(1, std::memory_order_relaxed);
  if (!pct_stream(f, tag).chance_ppm(f.spec.pct_ppm)) return false;
  const std::uint64_t hits = claim_hit(counters.hits, f.spec.max_hits);
  if (hits == 0) return false;
  report_first_hit(f, hits);
  return true;
}

}  // namespace faultline::shim::scan
