// Idle cost of an intercepted call: the same syscall-light call made
// through what a call by name reaches (the interposer's wrapper, when a
// preload is there) and through libc's own definition, interleaved in this
// one process (support/paired_timing.h).
//
// Run it as is, under libfaultline.so and under libfiu's POSIX preload
// (compare.sh runs all three); the label names the library that answered
// the call by name. Without a preload both sides reach libc, so the delta
// measured then is the method's own bias.
//
// Counters (ns per call): direct_ns, interposed_ns, delta_ns (median of
// the paired differences), delta_lo_ns/delta_hi_ns (lowest and highest
// median over ten slices of the run).
#include <benchmark/benchmark.h>

#include <exception>
#include <optional>

#include "support/bench_support.h"
#include "support/light_calls.h"
#include "support/paired_timing.h"

namespace {

namespace bench = faultline::bench;
using bench::LightCall;

constexpr int kBatch = 32;

template <LightCall C>
void BM_IdleCall(benchmark::State& state) {
  const bench::CallTargets interposed = bench::interposed_targets();
  const bench::CallTargets direct = bench::direct_targets();
  std::optional<bench::LightCallSockets> maybe_sockets;
  try {
    maybe_sockets.emplace();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const bench::LightCallSockets& sockets = *maybe_sockets;
  bench::PairedTiming timing;
  timing.reserve(static_cast<std::size_t>(state.max_iterations));
  auto call = [&](const bench::CallTargets& t) { benchmark::DoNotOptimize(bench::make_call<C>(t, sockets)); };
  for (int i = 0; i < 1000; ++i) timing.run(call, direct, interposed, 1);  // warm up
  timing = bench::PairedTiming();
  timing.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state)
    state.SetIterationTime(static_cast<double>(timing.run(call, direct, interposed, kBatch)) * 1e-9);

  const void* answered = nullptr;
  if constexpr (C == LightCall::kReadEbadf) answered = reinterpret_cast<const void*>(interposed.read);
  if constexpr (C == LightCall::kRecvEagain) answered = reinterpret_cast<const void*>(interposed.recv);
  if constexpr (C == LightCall::kSendEagain) answered = reinterpret_cast<const void*>(interposed.send);
  state.SetLabel("interposer=" + bench::object_name(answered));
  state.counters["direct_ns"] = timing.a_ns();
  state.counters["interposed_ns"] = timing.b_ns();
  state.counters["delta_ns"] = timing.delta_ns();
  const auto [lo, hi] = timing.delta_range(10);
  state.counters["delta_lo_ns"] = lo;
  state.counters["delta_hi_ns"] = hi;
}

// Under a second each on an idle machine: 2 x 32 calls per iteration.
BENCHMARK(BM_IdleCall<LightCall::kReadEbadf>)
    ->Name("BM_IdleCall/read_ebadf")
    ->Iterations(40000)
    ->UseManualTime();
BENCHMARK(BM_IdleCall<LightCall::kRecvEagain>)
    ->Name("BM_IdleCall/recv_eagain")
    ->Iterations(30000)
    ->UseManualTime();
BENCHMARK(BM_IdleCall<LightCall::kSendEagain>)
    ->Name("BM_IdleCall/send_eagain")
    ->Iterations(24000)
    ->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
