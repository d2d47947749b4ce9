#include "faultline/shim/telemetry_writer.h"

#include <atomic>

namespace faultline::shim {
namespace {

constinit std::atomic<abi::Telemetry*> g_telemetry{nullptr};

void raise_max(std::atomic<std::uint64_t>& max, std::uint64_t v) noexcept {
  std::uint64_t cur = max.load(std::memory_order_relaxed);
  while (v > cur && !max.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

void record(abi::CallClass cls, std::int64_t duration_ns, std::size_t bytes, int err, bool faulted) noexcept {
  abi::Telemetry* t = g_telemetry.load(std::memory_order_acquire);
  const auto index = static_cast<std::uint32_t>(cls);
  if (t == nullptr || index >= abi::kCallClasses) return;
  abi::ClassCounters& c = t->counters[index];
  const std::uint64_t ns = duration_ns > 0 ? static_cast<std::uint64_t>(duration_ns) : 0;
  c.calls.fetch_add(1, std::memory_order_relaxed);
  if (bytes != 0) c.bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (err != 0) {
    c.errors.fetch_add(1, std::memory_order_relaxed);
    const std::uint32_t slot = err > 0 && static_cast<std::uint32_t>(err) < abi::kErrnoSlots - 1
                                   ? static_cast<std::uint32_t>(err)
                                   : abi::kErrnoSlots - 1;
    t->errno_counts[slot].fetch_add(1, std::memory_order_relaxed);
  }
  if (faulted) c.faulted.fetch_add(1, std::memory_order_relaxed);
  c.sum_ns.fetch_add(ns, std::memory_order_relaxed);
  raise_max(c.max_ns, ns);
  t->histograms[index].buckets[abi::hist_bucket(ns)].fetch_add(1, std::memory_order_relaxed);
}

void set_telemetry_sink(abi::Telemetry* telemetry) noexcept {
  g_telemetry.store(telemetry, std::memory_order_release);
}

abi::Telemetry* telemetry_sink() noexcept {
  return g_telemetry.load(std::memory_order_acquire);
}

}  // namespace faultline::shim
