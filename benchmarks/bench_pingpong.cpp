// Loopback UDP ping-pong between a udp_echo server and a udp_rtt_client,
// both started with nothing preloaded, with libfaultline.so (idle) and with
// libfiu's POSIX preload; the three pairs take turns, one round each, so
// they share the machine's load. And the accuracy of an injected latency
// end to end, against the same delay made by the application itself, in
// the same client between the same rounds.
//
// BM_UdpPingPong counters: <lane>_p50_us, <lane>_p99_us (all round trips
// of that pair), <lane>_p50_delta_pct (median over rounds of the pair's p50
// against the unpreloaded pair's p50 of the same round, in percent) and
// <lane>_p99_delta_pct (pooled p99 against the unpreloaded pair's). Lanes:
// none, control (a second unpreloaded pair: the noise floor), faultline,
// faultline_nothread (FAULTLINE_DISABLE=1: wrappers only), libfiu.
//
// BM_InjectedDelay/<delay ns>/<round trips per round>/<line>: four kinds of
// round trips take turns in the same client: without delay (baseline);
// with the delay made by the client itself before its sendto, with
// clock_nanosleep or with faultline's precise wait (shim/precise_wait.h,
// linked into the client: the wait an injected delay makes); and with the
// delay injected by libfaultline.so into that sendto. <line> 1: the client
// runs with the delay line (the default: the sendto returns at once, the
// line's engine sends when due); 0: FAULTLINE_DELAY_LINE=0, the injected
// delay is waited in the calling thread (wait_injected).
// Counters, in us: baseline_p50_us, hot_sendto_p50_us (a sendto in
// back-to-back round trips); <kind>_rtt_error_p50_us = p50 of whole round
// trips - the baseline's - delay (this also holds the slower sendto and
// echo wake-up after a pause); nanosleep_error_p50_us / _p99_us = p50 / p99
// of its time until sendto returned - delay - nanosleep_sendto_p50_us (a
// sendto alone after such a pause); precise_error_p50_us the same for the
// client's own precise wait. injected_error_p50_us / _p99_us: in the
// calling thread, the same as nanosleep's, net of a sendto after the same
// wait (the precise kind's, injected_sendto_p50_us): what the injection
// adds to the send beyond the delay; with the line, p50 / p99 of the
// injected round trips - the precise kind's p50 (the datagram's delivery
// against the client's own precise wait of the same delay: both see the
// same echo wake-up after the pause).
#include <benchmark/benchmark.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "faultline/controlplane/segment.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/process.h"
#include "faultline/testing/targets.h"
#include "support/bench_support.h"
#include "support/faults.h"
#include "support/interposers.h"

namespace {

namespace abi = faultline::abi;
namespace bench = faultline::bench;
namespace testing = faultline::testing;
using bench::Interposer;
using namespace std::chrono_literals;

std::uint16_t read_port(testing::Process& echo) {
  const auto line = echo.read_line(10s);
  if (!line) throw std::runtime_error("udp_echo did not print its port");
  return static_cast<std::uint16_t>(std::stoul(*line));
}

// Pins every thread of `pid` to `cpu` (modulo the CPUs there are).
void pin(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<int>(cpu % std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))), &set);
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    sched_setaffinity(static_cast<pid_t>(std::stol(task.path().filename().string())), sizeof set, &set);
}

testing::SpawnOptions options_for(Interposer who, const std::vector<std::string>& extra_env,
                                  bool pipe_stdin) {
  testing::SpawnOptions options = bench::spawn_options(who);
  options.env.insert(options.env.end(), extra_env.begin(), extra_env.end());
  options.pipe_stdin = pipe_stdin;
  return options;
}

// What one round of a client measured, in ns: each round trip, its part
// until sendto returned (the client's own wait, an injected egress delay
// and the send), and the sendto call alone.
struct Trips {
  std::vector<double> rtts, sends, sendtos;
};

// Where a pair runs. Same CPU: a round trip within one CPU and one across
// two differ by more than twice (cross-CPU wake-ups are slow, in a VM
// especially), so every ping-pong pair runs on CPU 0, client and echo
// alike, rather than wherever the scheduler puts each. Split: client on
// CPU 0, echo on CPU 1, so that waking the echo never preempts the client
// inside its sendto (the send part then holds only the wait and the send).
enum class Placement { kSameCpu, kSplit };

// An echo server and a client, both under the same interposer.
class EchoPair {
 public:
  EchoPair(Interposer who, Placement placement, const std::vector<std::string>& extra_env = {})
      : who_(who),
        echo_(
            testing::Process::spawn({testing::helper_path("udp_echo")}, options_for(who, extra_env, false))),
        port_(read_port(echo_)),
        client_(testing::Process::spawn({FAULTLINE_BENCH_RTT_CLIENT, "--port", std::to_string(port_)},
                                        options_for(who, extra_env, true))) {
    if (client_.read_line(10s) != "ready") throw std::runtime_error("udp_rtt_client did not start");
    pin(client_.pid(), 0);
    pin(echo_.pid(), placement == Placement::kSplit ? 1 : 0);
  }
  EchoPair(const EchoPair&) = delete;
  EchoPair& operator=(const EchoPair&) = delete;
  ~EchoPair() {
    try {
      client_.write_stdin("quit\n");
    } catch (const std::exception&) {
    }
    if (!client_.wait(2s)) client_.kill_and_reap(SIGKILL);
    echo_.kill_and_reap(SIGTERM, 2s);
    // What a helper that a signal ended could not remove itself.
    for (const pid_t pid : {echo_.pid(), client_.pid()}) {
      if (who_ == Interposer::kFaultline) faultline::cp::Segment::unlink(pid);
      if (who_ == Interposer::kLibfiu) bench::remove_libfiu_fifos(pid);
    }
  }

  pid_t client_pid() const noexcept { return client_.pid(); }
  std::uint16_t port() const noexcept { return port_; }

  // `count` round trips, each after the client waited `wait_ns` itself
  // ("sleep", "spin" or "precise", as udp_rtt_client.cpp says).
  Trips run(int count, std::int64_t wait_ns = 0, const char* how = "sleep") {
    client_.write_stdin("run " + std::to_string(count) + " " + std::to_string(wait_ns) + " " + how + "\n");
    const auto line = client_.read_line(120s);
    std::istringstream in(line.value_or(""));
    Trips trips;
    std::vector<double>* into = nullptr;
    for (std::string word; in >> word;) {
      if (word == "rtts" || word == "sends" || word == "sendtos") {
        into = word == "rtts" ? &trips.rtts : word == "sends" ? &trips.sends : &trips.sendtos;
        continue;
      }
      const double v = std::stod(word);
      if (into == nullptr) break;
      if (v < 0) throw std::runtime_error("udp_rtt_client: an echo did not come back within 1 s");
      into->push_back(v);
    }
    if (trips.rtts.size() != static_cast<std::size_t>(count) || trips.sends.size() != trips.rtts.size() ||
        trips.sendtos.size() != trips.rtts.size())
      throw std::runtime_error("udp_rtt_client: unexpected reply: " + line.value_or("(none)"));
    return trips;
  }

 private:
  Interposer who_;
  testing::Process echo_;
  std::uint16_t port_;
  testing::Process client_;
};

void append(std::vector<double>& to, const std::vector<double>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

double p99(std::vector<double> v) {
  return bench::quantile(v, 0.99);
}

// One echo pair of the ping-pong and what it measured.
struct Lane {
  std::string name;
  std::unique_ptr<EchoPair> pair;
  std::vector<double> rtts, round_p50;
};

void BM_UdpPingPong(benchmark::State& state) {
  const int pings = static_cast<int>(state.range(0));
  struct LaneSpec {
    const char* name;
    Interposer who;
    std::vector<std::string> env;
  };
  // "control" is a second unpreloaded pair: its delta against "none" is
  // what the method reads when nothing differs (the noise floor).
  // "faultline_nothread" has the wrappers without the segment and apply
  // thread (FAULTLINE_DISABLE=1): it separates the wrappers' cost from
  // that of the process no longer being single-threaded (glibc's
  // cancellable calls take a slower path once a second thread exists).
  const LaneSpec specs[] = {{"none", Interposer::kNone, {}},
                            {"control", Interposer::kNone, {}},
                            {"faultline", Interposer::kFaultline, {}},
                            {"faultline_nothread", Interposer::kFaultline, {"FAULTLINE_DISABLE=1"}},
                            {"libfiu", Interposer::kLibfiu, {}}};
  std::vector<Lane> lanes;
  for (const LaneSpec& spec : specs) {
    const Interposer who = spec.who;
    try {
      lanes.push_back(
          Lane{spec.name, std::make_unique<EchoPair>(who, Placement::kSameCpu, spec.env), {}, {}});
      lanes.back().pair->run(pings / 4);  // warm up
    } catch (const std::exception& e) {
      if (who != Interposer::kLibfiu) {
        state.SkipWithError(e.what());
        return;
      }
      state.SetLabel(std::string("libfiu skipped: ") + e.what());
    }
  }
  std::size_t round = 0;
  try {
    for (auto _ : state) {
      const std::int64_t t0 = bench::now_ns();
      for (std::size_t i = 0; i < lanes.size(); ++i) {
        Lane& lane = lanes[(round + i) % lanes.size()];  // each round starts with the next lane
        const std::vector<double> rtts = lane.pair->run(pings).rtts;
        append(lane.rtts, rtts);
        lane.round_p50.push_back(bench::median(rtts));
      }
      ++round;
      state.SetIterationTime(static_cast<double>(bench::now_ns() - t0) * 1e-9);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const Lane& none = lanes.front();
  for (const Lane& lane : lanes) {
    state.counters[lane.name + "_p50_us"] = bench::median(lane.rtts) / 1e3;
    state.counters[lane.name + "_p99_us"] = p99(lane.rtts) / 1e3;
    if (&lane == &none) continue;
    std::vector<double> deltas;
    for (std::size_t r = 0; r < lane.round_p50.size(); ++r)
      deltas.push_back((lane.round_p50[r] / none.round_p50[r] - 1) * 100);
    state.counters[lane.name + "_p50_delta_pct"] = bench::median(deltas);
    state.counters[lane.name + "_p99_delta_pct"] = (p99(lane.rtts) / p99(none.rtts) - 1) * 100;
  }
}
BENCHMARK(BM_UdpPingPong)->Arg(200)->Iterations(60)->UseManualTime()->Unit(benchmark::kMillisecond);

// How the round trips of one kind wait `delay` before sending.
enum class DelayBy { kNothing, kNanosleep, kPrecise, kInjected };

void BM_InjectedDelay(benchmark::State& state) {
  const std::int64_t delay = state.range(0);
  const int pings = static_cast<int>(state.range(1));
  const bool line = state.range(2) != 0;
  std::map<DelayBy, std::vector<double>> rtts, sends, sendtos;
  try {
    EchoPair pair(Interposer::kFaultline, Placement::kSplit,
                  line ? std::vector<std::string>{} : std::vector<std::string>{"FAULTLINE_DELAY_LINE=0"});
    std::string why;
    auto client = testing::wait_for_segment(pair.client_pid(), 10s, &why);
    if (!client) throw std::runtime_error("no segment in the client: " + why);
    const abi::FaultSpec fault = bench::loopback_latency("bench-delay", delay, abi::Proto::kUdp, pair.port());
    pair.run(50);  // warm up
    std::size_t round = 0;
    for (auto _ : state) {
      std::array<DelayBy, 4> order{DelayBy::kNothing, DelayBy::kNanosleep, DelayBy::kPrecise,
                                   DelayBy::kInjected};
      std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(round++ % order.size()),
                  order.end());
      const std::int64_t t0 = bench::now_ns();
      for (DelayBy by : order) {
        if (by == DelayBy::kInjected) why = bench::apply(*client, faultline::cp::make_inject(fault));
        if (!why.empty()) throw std::runtime_error("inject: " + why);
        const Trips trips = pair.run(pings, by == DelayBy::kNanosleep || by == DelayBy::kPrecise ? delay : 0,
                                     by == DelayBy::kPrecise ? "precise" : "sleep");
        append(rtts[by], trips.rtts);
        append(sends[by], trips.sends);
        append(sendtos[by], trips.sendtos);
        if (by == DelayBy::kInjected) why = bench::apply(*client, faultline::cp::make_clear(fault.id));
        if (!why.empty()) throw std::runtime_error("clear: " + why);
      }
      state.SetIterationTime(static_cast<double>(bench::now_ns() - t0) * 1e-9);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  // A sendto after a pause is slower than one in back-to-back round trips
  // (cold caches, an idle CPU to wake: 25-70 us against 10 us on a VM after
  // 200 ms). Each kind's error is net of a sendto in the same condition:
  // the nanosleep and precise kinds' own, and for the injected kind that
  // of the client's own precise wait, the same wait the shim makes, so the
  // figure holds the wait's own error and what the injection adds.
  const double d = static_cast<double>(delay);
  const double rtt_base = bench::median(rtts[DelayBy::kNothing]);
  state.counters["baseline_p50_us"] = rtt_base / 1e3;
  state.counters["hot_sendto_p50_us"] = bench::median(sendtos[DelayBy::kNothing]) / 1e3;
  for (const auto& [by, like, name] :
       {std::tuple{DelayBy::kInjected, DelayBy::kPrecise, std::string("injected")},
        std::tuple{DelayBy::kPrecise, DelayBy::kPrecise, std::string("precise")},
        std::tuple{DelayBy::kNanosleep, DelayBy::kNanosleep, std::string("nanosleep")}}) {
    const double sendto = bench::median(sendtos[like]);
    state.counters[name + "_sendto_p50_us"] = sendto / 1e3;
    state.counters[name + "_error_p50_us"] = (bench::median(sends[by]) - sendto - d) / 1e3;
    state.counters[name + "_error_p99_us"] = (p99(sends[by]) - sendto - d) / 1e3;
    state.counters[name + "_rtt_error_p50_us"] = (bench::median(rtts[by]) - rtt_base - d) / 1e3;
  }
  if (line) {
    // The sendto returned at once: the delay shows in the round trip only.
    const double precise_rtt = bench::median(rtts[DelayBy::kPrecise]);
    state.counters["injected_error_p50_us"] = (bench::median(rtts[DelayBy::kInjected]) - precise_rtt) / 1e3;
    state.counters["injected_error_p99_us"] = (p99(rtts[DelayBy::kInjected]) - precise_rtt) / 1e3;
  }
}

// Args: delay ns, round trips per round (four kinds each), delay line on
// (1) or off (0); several seconds in all.
BENCHMARK(BM_InjectedDelay)
    ->ArgsProduct({{20'000}, {300}, {1, 0}})
    ->Iterations(6)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InjectedDelay)
    ->ArgsProduct({{1'000'000}, {100}, {1, 0}})
    ->Iterations(4)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InjectedDelay)
    ->ArgsProduct({{10'000'000}, {20}, {1, 0}})
    ->Iterations(4)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InjectedDelay)
    ->ArgsProduct({{200'000'000}, {4}, {1, 0}})
    ->Iterations(2)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a helper that died shows as an error, not as our death
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
