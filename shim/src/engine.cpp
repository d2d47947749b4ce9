#include "faultline/shim/engine.h"

#include <errno.h>

#include <algorithm>
#include <new>
#include <type_traits>

#include "faultline/controlplane/publish.h"
#include "faultline/controlplane/segment.h"
#include "faultline/shim/delay_model.h"
#include "faultline/shim/loss_model.h"
#include "faultline/shim/plan.h"
#include "faultline/shim/rng.h"
#include "plan_scan.h"

namespace faultline::shim {

constinit std::atomic<std::uint32_t> g_mode{0};

namespace {

constinit thread_local bool t_in_shim __attribute__((tls_model("initial-exec"))) = false;

constinit abi::FaultSlot g_local_slots[abi::kMaxFaults]{};
constinit std::atomic<abi::FaultSlot*> g_slots{nullptr};
constinit std::atomic<const cp::Segment*> g_event_segment{nullptr};

// Per-thread model streams, one per fault slot, tagged with the generation
// of the fault they were configured for. Raw storage keeps the TLS block
// zero-initialized (no TLS constructor, no guard on access).
struct ThreadFaultState {
  Rng pct;
  DelayModel delay;
  LossModel loss;
};
struct alignas(ThreadFaultState) RawThreadFaultState {
  unsigned char bytes[sizeof(ThreadFaultState)];
};
static_assert(std::is_trivially_destructible_v<ThreadFaultState>);

constinit thread_local RawThreadFaultState t_states[abi::kMaxFaults]{};
constinit thread_local std::uint64_t t_generation[abi::kMaxFaults];
constinit thread_local std::uint32_t t_ordinal = 0;  // thread index + 1; 0 = not assigned
constinit std::atomic<std::uint32_t> g_threads{0};

// Tags the pct stream apart from the model stream of the same thread.
constexpr std::uint64_t kPctStreamTag = 0x7063742d67617465ULL;  // "pct-gate"

std::uint32_t thread_ordinal() noexcept {
  if (t_ordinal == 0) t_ordinal = g_threads.fetch_add(1, std::memory_order_relaxed) + 1;
  return t_ordinal - 1;
}

double ppm(std::uint32_t v) noexcept {
  return static_cast<double>(v) / 1e6;
}

ThreadFaultState& state_for(const CompiledFault& f) noexcept {
  unsigned char* raw = t_states[f.slot].bytes;
  if (t_generation[f.slot] == f.generation) return *std::launder(reinterpret_cast<ThreadFaultState*>(raw));
  const std::uint32_t ordinal = thread_ordinal();
  auto* st = new (raw) ThreadFaultState();
  st->pct.reseed(mix_seed(f.seed ^ kPctStreamTag, ordinal));
  const std::uint64_t stream = mix_seed(f.seed, ordinal);
  const abi::FaultSpec& s = f.spec;
  switch (static_cast<abi::FaultKind>(s.kind)) {
    case abi::FaultKind::kLatency: {
      DelayParams p;
      p.delay_ns = s.delay_ns;
      p.jitter_ns = s.jitter_ns;
      p.correlation = ppm(s.correlation_ppm);
      p.distribution = static_cast<abi::Distribution>(s.distribution);
      st->delay.configure(p, stream, f.latent_rho);
      break;
    }
    case abi::FaultKind::kLoss: {
      LossParams p;
      p.model = static_cast<abi::LossModel>(s.loss_model);
      p.rate = ppm(s.loss_ppm);
      p.correlation = ppm(s.correlation_ppm);
      p.ge_p = ppm(s.ge_p_ppm);
      p.ge_r = ppm(s.ge_r_ppm);
      p.ge_1h = ppm(s.ge_1h_ppm);
      p.ge_1k = ppm(s.ge_1k_ppm);
      st->loss.configure(p, stream);
      break;
    }
    default:
      break;
  }
  t_generation[f.slot] = f.generation;
  return *st;
}

void forget_thread_state() noexcept {
  for (std::uint64_t& g : t_generation) g = 0;
}

// Which calls each kind of fault concerns. Data faults on datagrams only
// (corrupt, duplicate, reorder) are filtered in draw(), which sees the socket.
bool acts_on(abi::FaultKind kind, Op op) noexcept {
  const bool data = op == Op::kSend || op == Op::kRecv;
  switch (kind) {
    case abi::FaultKind::kLatency:
    case abi::FaultKind::kLoss:
    case abi::FaultKind::kBandwidth:
    case abi::FaultKind::kSlice:
    case abi::FaultKind::kCorrupt:
    case abi::FaultKind::kDuplicate:
    case abi::FaultKind::kReorder:
      return data;
    case abi::FaultKind::kReset:
      return data || op == Op::kAccept;
    case abi::FaultKind::kBlackhole:
      return data || op == Op::kConnect;
    case abi::FaultKind::kRefuse:
      return op == Op::kConnect || op == Op::kAccept;
    case abi::FaultKind::kErrno:
    case abi::FaultKind::kStall:
      return true;
    default:
      return false;
  }
}

// What one fault would do to the call, before its hit is claimed.
Verdict draw(const CompiledFault& f, ThreadFaultState& st, const SocketInfo& s) noexcept {
  Verdict e;
  const abi::FaultSpec& spec = f.spec;
  switch (static_cast<abi::FaultKind>(spec.kind)) {
    case abi::FaultKind::kLatency:
      e.delay_ns = std::max<std::int64_t>(st.delay.next_ns(), 0);
      break;
    case abi::FaultKind::kLoss:
      if (!st.loss.next_lost()) return e;
      // A stream cannot lose bytes: the kernel would retransmit after an RTO.
      if (s.datagram)
        e.drop = true;
      else
        e.stall_ns = spec.rto_ns > 0 ? spec.rto_ns : kDefaultRtoNs;
      break;
    case abi::FaultKind::kReset:
      if (s.proto != static_cast<std::uint8_t>(abi::Proto::kTcp)) return e;  // only TCP has an RST
      e.reset = true;
      break;
    case abi::FaultKind::kBlackhole:
      e.blackhole = true;
      break;
    case abi::FaultKind::kRefuse:
      e.err = spec.err != 0 ? spec.err : ECONNREFUSED;
      e.refuse = true;
      break;
    case abi::FaultKind::kErrno:
      e.err = spec.err;
      break;
    case abi::FaultKind::kBandwidth:
      e.rate_bytes_per_s = spec.rate_bytes_per_s;
      e.rate_generation = f.generation;
      break;
    case abi::FaultKind::kSlice:
      if (s.datagram) return e;  // a datagram cannot be cut: slicing is for streams
      e.slice_max = spec.slice_max;
      break;
    case abi::FaultKind::kCorrupt:
      if (!s.datagram) return e;
      e.corrupt = true;
      e.entropy = st.pct.next_u64();
      break;
    case abi::FaultKind::kDuplicate:
      if (!s.datagram) return e;
      e.duplicate = true;
      break;
    case abi::FaultKind::kReorder:
      if (!s.datagram) return e;
      e.reorder_gap = spec.gap > 0 ? spec.gap : 1;
      break;
    case abi::FaultKind::kStall:
      e.hold_ns = spec.delay_ns;
      break;
    default:
      return e;
  }
  e.fired = 1;
  return e;
}

void merge(Verdict& into, const Verdict& e) noexcept {
  into.delay_ns += e.delay_ns;
  into.stall_ns = std::max(into.stall_ns, e.stall_ns);
  into.hold_ns = std::max(into.hold_ns, e.hold_ns);
  if (e.rate_bytes_per_s != 0 && (into.rate_bytes_per_s == 0 || e.rate_bytes_per_s < into.rate_bytes_per_s)) {
    into.rate_bytes_per_s = e.rate_bytes_per_s;  // the narrowest pipe sets the pace
    into.rate_generation = e.rate_generation;
  }
  into.entropy ^= e.entropy;
  if (into.err == 0) {
    into.err = e.err;
    into.refuse = e.refuse;
  }
  if (e.slice_max != 0 && (into.slice_max == 0 || e.slice_max < into.slice_max)) into.slice_max = e.slice_max;
  into.reorder_gap = std::max(into.reorder_gap, e.reorder_gap);
  into.drop = into.drop || e.drop;
  into.blackhole = into.blackhole || e.blackhole;
  into.reset = into.reset || e.reset;
  into.corrupt = into.corrupt || e.corrupt;
  into.duplicate = into.duplicate || e.duplicate;
  into.fired += e.fired;
}

}  // namespace

Verdict decide(Op op, abi::Direction dir, const SocketInfo& socket,
               std::size_t /*len: bandwidth, slice*/) noexcept {
  Verdict verdict;
  const Plan* plan = g_plan.load(std::memory_order_acquire);
  if (plan == nullptr) return verdict;
  const std::uint64_t version = plan->version.load(std::memory_order_acquire);
  if (version & 1u) return verdict;
  // No fault can select the call (another protocol, port or direction): no
  // scan. A torn read of a reused plan can only make it pass, as below.
  if (plan->filter.rejects(dir, socket)) return verdict;
  const std::uint32_t n = std::min(plan->count, abi::kMaxFaults);
  abi::FaultSlot* slots = fault_slots();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!matches(plan->matches[i], dir, socket)) continue;
    const CompiledFault& f = plan->faults[i];
    if (f.slot >= abi::kMaxFaults || !acts_on(static_cast<abi::FaultKind>(f.spec.kind), op)) continue;
    abi::FaultSlot& counters = slots[f.slot];
    counters.matched.fetch_add(1, std::memory_order_relaxed);
    ThreadFaultState& st = state_for(f);
    if (!st.pct.chance_ppm(f.spec.pct_ppm)) continue;
    const Verdict effect = draw(f, st, socket);
    if (effect.pass()) continue;
    const std::uint64_t hits = scan::claim_hit(counters.hits, f.spec.max_hits);
    if (hits == 0) continue;
    merge(verdict, effect);
    scan::report_first_hit(f, hits);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  if (plan->version.load(std::memory_order_relaxed) != version) {
    // The storage was reused under us (this thread stalled past the grace
    // period): what we read may be torn, including what configured our
    // models. Pass the call and start the models afresh.
    forget_thread_state();
    return Verdict{};
  }
  return verdict;
}

ShimScope::ShimScope() noexcept : entered_(!t_in_shim) {
  if (entered_) t_in_shim = true;
}

ShimScope::~ShimScope() {
  if (entered_) t_in_shim = false;
}

void mark_shim_thread() noexcept {
  t_in_shim = true;
}

void set_event_sink(const cp::Segment* segment) noexcept {
  g_event_segment.store(segment, std::memory_order_release);
}

const cp::Segment* event_sink() noexcept {
  return g_event_segment.load(std::memory_order_acquire);
}

void set_fault_slots(abi::FaultSlot* slots) noexcept {
  g_slots.store(slots, std::memory_order_release);
}

abi::FaultSlot* fault_slots() noexcept {
  abi::FaultSlot* s = g_slots.load(std::memory_order_acquire);
  return s != nullptr ? s : g_local_slots;
}

}  // namespace faultline::shim
