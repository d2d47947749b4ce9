#include "faultline/shim/armed_kinds.h"

#include <algorithm>
#include <atomic>

#include "faultline/shim/plan.h"

namespace faultline::shim {

static_assert(static_cast<unsigned>(abi::FaultKind::kCount) <= 32);

ArmedKinds armed_kinds(abi::Direction dir, const SocketInfo& socket, std::uint32_t kinds) noexcept {
  ArmedKinds k;
  const Plan* plan = g_plan.load(std::memory_order_acquire);
  if (plan == nullptr) return k;
  const std::uint64_t version = plan->version.load(std::memory_order_acquire);
  if ((version & 1u) != 0 || (plan->kinds & kinds) == 0) return k;
  const std::uint32_t n = std::min(plan->count, abi::kMaxFaults);
  for (std::uint32_t i = 0; i < n; ++i) {
    CompiledMatch m = plan->matches[i];
    if (socket.has_peer == 0) {  // any peer may send to an unconnected socket
      m.family = 0;
      m.dst_port = 0;
    }
    const abi::FaultSpec& spec = plan->faults[i].spec;
    if (spec.kind >= static_cast<std::uint16_t>(abi::FaultKind::kCount) || (kinds & (1u << spec.kind)) == 0 ||
        !matches(m, dir, socket))
      continue;
    k.kinds |= 1u << spec.kind;
    if (spec.kind == static_cast<std::uint16_t>(abi::FaultKind::kSlice) && spec.slice_max != 0)
      k.slice_max = k.slice_max == 0 ? spec.slice_max : std::min(k.slice_max, spec.slice_max);
    if (spec.kind == static_cast<std::uint16_t>(abi::FaultKind::kBandwidth) && spec.rate_bytes_per_s != 0)
      k.rate = k.rate == 0 ? spec.rate_bytes_per_s : std::min(k.rate, spec.rate_bytes_per_s);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  return plan->version.load(std::memory_order_relaxed) == version ? k : ArmedKinds{};
}

}  // namespace faultline::shim
