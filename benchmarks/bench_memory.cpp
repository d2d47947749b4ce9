// Memory an interposer adds to an idle process: the same program started
// with nothing preloaded, with libfaultline.so and with libfiu's POSIX
// preload, measured once it has settled (the segment exists, the apply
// thread runs). Programs: udp_echo (C++, waiting in poll) and /bin/sleep
// (C; the preload carries its own C++ runtime).
//
// Counters, in KiB (medians over the rounds): <who>_rss_kib (VmRSS),
// <who>_added_rss_kib and <who>_added_pss_kib (against no preload; Pss
// shares the library's pages among the processes that map them),
// segment_kib (the size of the segment mapping) and
// segment_resident_kib (its pages the process has touched).
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faultline/controlplane/segment.h"
#include "faultline/testing/paths.h"
#include "faultline/testing/process.h"
#include "faultline/testing/targets.h"
#include "support/bench_support.h"
#include "support/interposers.h"

namespace {

namespace bench = faultline::bench;
namespace testing = faultline::testing;
using bench::Interposer;
using namespace std::chrono_literals;

struct Memory {
  double rss_kib = 0, pss_kib = 0, segment_kib = 0, segment_rss_kib = 0;
};

// The first "KEY: N kB" value after `start` in `path`; -1 if absent.
double field_kib(const std::string& path, const std::string& key, const std::string& start = "") {
  std::ifstream in(path);
  std::string line;
  bool inside = start.empty();
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.find(start) != std::string::npos;
      continue;
    }
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1));
  }
  return -1;
}

Memory measure(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string segment = "/dev/shm/faultline." + std::to_string(pid);
  Memory m;
  m.rss_kib = field_kib(proc + "/status", "VmRSS");
  m.pss_kib = field_kib(proc + "/smaps_rollup", "Pss");
  m.segment_kib = field_kib(proc + "/smaps", "Size", segment);
  m.segment_rss_kib = field_kib(proc + "/smaps", "Rss", segment);
  if (m.rss_kib < 0 || m.pss_kib < 0) throw std::runtime_error("cannot read " + proc + " memory figures");
  return m;
}

Memory settled(const std::string& program, Interposer who) {
  const bool echo = program == "udp_echo";
  std::vector<std::string> argv = {echo ? testing::helper_path("udp_echo") : program};
  if (!echo) argv.push_back("60");
  testing::Process p = testing::Process::spawn(argv, bench::spawn_options(who));
  if (echo && !p.read_line(10s)) throw std::runtime_error("udp_echo did not start");
  if (who == Interposer::kFaultline && !testing::wait_for_segment(p.pid(), 10s))
    throw std::runtime_error(program + " under libfaultline.so made no segment");
  std::this_thread::sleep_for(150ms);
  const Memory m = measure(p.pid());
  p.kill_and_reap(SIGTERM, 2s);
  // A program that a signal ends (sleep) runs no exit handler: its segment
  // and libfiu's pipes stay behind unless removed here.
  if (who == Interposer::kFaultline) faultline::cp::Segment::unlink(p.pid());
  if (who == Interposer::kLibfiu) bench::remove_libfiu_fifos(p.pid());
  return m;
}

void BM_ResidentMemory(benchmark::State& state, const std::string& program) {
  std::map<Interposer, std::vector<double>> rss, pss, added_rss, added_pss;
  std::vector<double> segment, segment_rss;
  try {
    for (auto _ : state) {
      const std::int64_t t0 = bench::now_ns();
      std::map<Interposer, Memory> round;
      for (Interposer who : bench::kAllInterposers) {
        if (who == Interposer::kLibfiu && bench::libfiu_preload().empty()) continue;
        round[who] = settled(program, who);
      }
      for (const auto& [who, m] : round) {
        rss[who].push_back(m.rss_kib);
        added_rss[who].push_back(m.rss_kib - round.at(Interposer::kNone).rss_kib);
        added_pss[who].push_back(m.pss_kib - round.at(Interposer::kNone).pss_kib);
      }
      segment.push_back(round.at(Interposer::kFaultline).segment_kib);
      segment_rss.push_back(round.at(Interposer::kFaultline).segment_rss_kib);
      state.SetIterationTime(static_cast<double>(bench::now_ns() - t0) * 1e-9);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (const auto& [who, values] : rss) {
    const std::string name = bench::name_of(who);
    state.counters[name + "_rss_kib"] = bench::median(values);
    if (who == Interposer::kNone) continue;
    state.counters[name + "_added_rss_kib"] = bench::median(added_rss[who]);
    state.counters[name + "_added_pss_kib"] = bench::median(added_pss[who]);
  }
  state.counters["segment_kib"] = bench::median(segment);
  state.counters["segment_resident_kib"] = bench::median(segment_rss);
}
BENCHMARK_CAPTURE(BM_ResidentMemory, udp_echo, std::string("udp_echo"))
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ResidentMemory, sleep, std::string("/bin/sleep"))
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
