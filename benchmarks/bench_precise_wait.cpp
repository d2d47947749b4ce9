// Injected-delay accuracy: the wake-up error (actual wake - deadline) of the
// shim's precise wait against plain clock_nanosleep, interleaved in one run
// so both see the same machine. Counters are in ns; p99 over few samples
// (200 ms has six) is close to the maximum.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "faultline/shim/clock.h"
#include "faultline/shim/precise_wait.h"
#include "support/bench_support.h"

namespace {

using faultline::bench::percentile;
using faultline::shim::now_ns;

template <void (*Wait)(std::int64_t)>
std::int64_t wake_error(std::int64_t delay_ns) {
  const std::int64_t deadline = now_ns() + delay_ns;
  Wait(deadline);
  return now_ns() - deadline;
}

void BM_WakeError(benchmark::State& state) {
  const std::int64_t delay = state.range(0);
  // Let the margin adapt to this machine before measuring.
  for (int i = 0; i < 50; ++i) faultline::shim::wait_for_ns(200'000);
  std::vector<std::int64_t> precise, nanosleep;
  precise.reserve(static_cast<std::size_t>(state.max_iterations));
  nanosleep.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state) {
    const std::int64_t start = now_ns();
    precise.push_back(wake_error<faultline::shim::wait_until_ns>(delay));
    nanosleep.push_back(wake_error<faultline::shim::sleep_until_ns>(delay));
    state.SetIterationTime(static_cast<double>(now_ns() - start) * 1e-9);
  }
  state.counters["precise_median_ns"] = percentile(precise, 0.5);
  state.counters["precise_p99_ns"] = percentile(precise, 0.99);
  state.counters["nanosleep_median_ns"] = percentile(nanosleep, 0.5);
  state.counters["nanosleep_p99_ns"] = percentile(nanosleep, 0.99);
  state.counters["margin_ns"] = static_cast<double>(faultline::shim::precise_wait_margin_ns());
}

// Iterations bound the run: about five seconds in all, most of it at 200 ms.
BENCHMARK(BM_WakeError)->Arg(20'000)->Iterations(2000)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WakeError)->Arg(100'000)->Iterations(1000)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WakeError)->Arg(1'000'000)->Iterations(300)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WakeError)->Arg(10'000'000)->Iterations(50)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WakeError)->Arg(200'000'000)->Iterations(6)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
