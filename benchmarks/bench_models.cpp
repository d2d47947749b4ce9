// Cost per decision of the fault models on the hot path (and, once, of the
// delay calibration that runs when a fault is armed).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "faultline/shim/delay_model.h"
#include "faultline/shim/loss_model.h"
#include "faultline/shim/rng.h"
#include "faultline/shim/token_bucket.h"

namespace {

using faultline::abi::Distribution;
namespace shim = faultline::shim;

shim::DelayParams delay_params(std::int64_t distribution, double correlation) {
  shim::DelayParams p;
  p.delay_ns = 200'000'000;
  p.jitter_ns = 50'000'000;
  p.correlation = correlation;
  p.distribution = static_cast<Distribution>(distribution);
  return p;
}

void BM_RngNextU64(benchmark::State& state) {
  shim::Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.next_u64());
}
BENCHMARK(BM_RngNextU64);

void BM_RngNormal(benchmark::State& state) {
  shim::Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.normal());
}
BENCHMARK(BM_RngNormal);

// Args: distribution (0 uniform, 1 normal, 2 pareto, 3 paretonormal), correlation %.
void BM_DelayNext(benchmark::State& state) {
  shim::DelayModel m;
  m.configure(delay_params(state.range(0), static_cast<double>(state.range(1)) / 100), 1);
  for (auto _ : state) benchmark::DoNotOptimize(m.next_ns());
}
BENCHMARK(BM_DelayNext)->ArgsProduct({{0, 1, 2, 3}, {0, 75}})->ArgNames({"dist", "corr_pct"});

void BM_DelayCalibrate(benchmark::State& state) {
  const shim::DelayParams p = delay_params(state.range(0), 0.75);
  for (auto _ : state) benchmark::DoNotOptimize(shim::calibrate_latent_rho(p));
}
BENCHMARK(BM_DelayCalibrate)->Arg(0)->Arg(2)->Arg(3)->ArgName("dist")->Unit(benchmark::kMicrosecond);

// Args: model (0 Bernoulli, 1 correlated, 2 Gilbert-Elliott).
void BM_LossNext(benchmark::State& state) {
  shim::LossParams p;
  p.model = static_cast<faultline::abi::LossModel>(state.range(0));
  p.rate = 0.1;
  p.correlation = 0.75;
  p.ge_p = 0.01;
  p.ge_r = 0.25;
  p.ge_1h = 0.9;
  p.ge_1k = 0.001;
  shim::LossModel m;
  m.configure(p, 1);
  for (auto _ : state) benchmark::DoNotOptimize(m.next_lost());
}
BENCHMARK(BM_LossNext)->Arg(0)->Arg(1)->Arg(2)->ArgName("model");

void BM_TokenBucketReserve(benchmark::State& state) {
  shim::TokenBucket b;
  std::int64_t now = 1'000'000'000;
  b.configure(125'000'000, 64 * 1024, now);  // 1 Gbit/s
  for (auto _ : state) {
    now += 1'000;
    benchmark::DoNotOptimize(b.reserve(now, 1'500));
  }
}
BENCHMARK(BM_TokenBucketReserve);

}  // namespace

BENCHMARK_MAIN();
