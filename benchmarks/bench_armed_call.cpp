// Cost of an intercepted call in each mode of libfaultline.so, against the
// direct call (libc's own definition), in one process that runs under the
// preload (it re-executes itself with it) and commands itself through its
// own segment:
//   idle       nothing armed, telemetry off: the one-load path
//   armed      a fault armed that matches another port: the wrapper looks
//              the socket up, the plan does not match, the call passes
//   telemetry  telemetry on, nothing armed: the call is timed and recorded
// The modes take turns, one round each (a command switches them); every
// round times the direct and the wrapped call in interleaved pairs
// (support/paired_timing.h).
//
// Counters (ns per call): direct_ns, and idle_delta_ns, armed_delta_ns,
// telemetry_delta_ns (median paired difference, wrapped - direct).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "faultline/controlplane/client.h"
#include "support/bench_support.h"
#include "support/faults.h"
#include "support/light_calls.h"
#include "support/paired_timing.h"

namespace {

namespace abi = faultline::abi;
namespace bench = faultline::bench;
namespace cp = faultline::cp;
using bench::LightCall;

constexpr int kBatch = 32;
constexpr int kPairsPerRound = 1000;
constexpr const char* kFaultId = "bench-unmatched";

enum Mode { kIdle, kArmed, kTelemetry, kModes };

std::optional<cp::Client> g_self;

std::string set_mode(Mode mode, std::uint16_t other_port) {
  std::string why = bench::apply(*g_self, cp::make_clear_all());
  if (why.empty()) why = bench::apply(*g_self, cp::make_telemetry(mode == kTelemetry));
  if (why.empty() && mode == kArmed)
    why = bench::apply(
        *g_self, cp::make_inject(bench::loopback_latency(kFaultId, 1'000'000, abi::Proto::kTcp, other_port)));
  return why;
}

// Faults the unmatched fault matched while armed (must stay 0).
std::uint64_t unmatched_fault_matches() {
  for (const cp::FaultView& f : g_self->faults())
    if (std::strcmp(f.spec.id, kFaultId) == 0) return f.matched + f.hits;
  return 0;
}

template <LightCall C>
void BM_ModeCost(benchmark::State& state) {
  std::optional<bench::LightCallSockets> maybe_sockets;
  try {
    maybe_sockets.emplace();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const bench::LightCallSockets& sockets = *maybe_sockets;
  const bench::CallTargets wrapped = bench::interposed_targets();
  const bench::CallTargets direct = bench::direct_targets();
  auto call = [&](const bench::CallTargets& t) { benchmark::DoNotOptimize(bench::make_call<C>(t, sockets)); };
  // Any port but the peer's: the fault matches address, protocol and
  // direction, and fails on the port.
  const std::uint16_t other_port = static_cast<std::uint16_t>(sockets.full_tcp_peer_port() ^ 1u);

  std::array<bench::PairedTiming, kModes> timing;
  std::uint64_t matched = 0;
  int round = 0;
  for (auto _ : state) {
    const Mode mode = static_cast<Mode>(round++ % kModes);
    if (const std::string why = set_mode(mode, other_port); !why.empty()) {
      state.SkipWithError(("switching mode: " + why).c_str());
      break;
    }
    bench::PairedTiming warm_up;  // the first armed call reads the socket's facts from the kernel
    for (int i = 0; i < 100; ++i) warm_up.run(call, direct, wrapped, 1);
    std::int64_t ns = 0;
    for (int i = 0; i < kPairsPerRound; ++i) ns += timing[mode].run(call, direct, wrapped, kBatch);
    if (mode == kArmed) matched += unmatched_fault_matches();
    state.SetIterationTime(static_cast<double>(ns) * 1e-9);
  }
  set_mode(kIdle, other_port);
  if (matched != 0) state.SkipWithError("the fault meant to stay unmatched matched calls");

  state.counters["direct_ns"] = timing[kIdle].a_ns();
  state.counters["idle_delta_ns"] = timing[kIdle].delta_ns();
  state.counters["armed_delta_ns"] = timing[kArmed].delta_ns();
  state.counters["telemetry_delta_ns"] = timing[kTelemetry].delta_ns();
}

// Six rounds per mode, 2 x 32 x 1000 calls per round.
BENCHMARK(BM_ModeCost<LightCall::kSendEagain>)
    ->Name("BM_ModeCost/send_eagain")
    ->Iterations(18)
    ->UseManualTime();
BENCHMARK(BM_ModeCost<LightCall::kRecvEagain>)
    ->Name("BM_ModeCost/recv_eagain")
    ->Iterations(18)
    ->UseManualTime();
BENCHMARK(BM_ModeCost<LightCall::kReadEbadf>)
    ->Name("BM_ModeCost/read_ebadf")
    ->Iterations(18)
    ->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  if (!bench::ensure_preloaded(argv, bench::faultline_preload_path())) {
    std::fprintf(stderr, "bench_armed_call: could not preload %s\n", bench::faultline_preload_path().c_str());
    return 2;
  }
  std::string why;
  g_self = cp::Client::attach(getpid(), &why);
  if (!g_self) {
    std::fprintf(stderr, "bench_armed_call: no segment of my own: %s\n", why.c_str());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
