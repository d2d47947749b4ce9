// Idle cost of an intercepted call for the whole process: what a program
// pays for read(-1) called by name when it was started with nothing
// preloaded, with libfaultline.so or with libfiu's POSIX preload. Unlike
// bench_idle_call (wrapper against libc in one process), this also holds
// what the preload changes around the call: once its apply thread exists,
// glibc's cancellable calls (read, recv, send, poll...) take their
// multi-threaded path in a program that was single-threaded.
//
// Each process is a worker (this program with --worker, single-threaded
// itself) that times batches of calls on request; the workers take turns,
// one batch each per round, so they share the machine's load, and a second
// unpreloaded worker ("control") shows the noise floor.
//
// Counters (ns per call): none_ns (median batch of the unpreloaded
// worker), and <worker>_delta_ns = median over rounds of the worker's
// batch - the unpreloaded worker's batch of the same round.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "faultline/controlplane/segment.h"
#include "faultline/testing/process.h"
#include "support/bench_support.h"
#include "support/interposers.h"

namespace {

namespace bench = faultline::bench;
namespace testing = faultline::testing;
using bench::Interposer;
using namespace std::chrono_literals;

constexpr int kBatch = 64;

// Worker: for each line "N" on stdin, times N calls of read(-1) by name and
// prints the nanoseconds.
int worker() {
  char line[32];
  char buffer[64];
  std::printf("ready\n");
  std::fflush(stdout);
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    const long n = std::strtol(line, nullptr, 10);
    const std::int64_t t0 = bench::now_ns();
    for (long i = 0; i < n; ++i) benchmark::DoNotOptimize(read(-1, buffer, sizeof buffer));
    std::printf("%lld\n", static_cast<long long>(bench::now_ns() - t0));
    std::fflush(stdout);
  }
  return 0;
}

// Every worker runs on CPU 0, all threads: workers the scheduler placed
// on different CPUs would differ by more than what is measured.
void pin_to_cpu0(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    sched_setaffinity(static_cast<pid_t>(std::stol(task.path().filename().string())), sizeof set, &set);
}

class Worker {
 public:
  Worker(std::string name, Interposer who)
      : name_(std::move(name)),
        who_(who),
        process_(testing::Process::spawn({"/proc/self/exe", "--worker"}, options(who))) {
    if (process_.read_line(10s) != "ready") throw std::runtime_error(name_ + " worker did not start");
    pin_to_cpu0(process_.pid());
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    process_.kill_and_reap(SIGTERM, 2s);
    // A worker that a signal ended ran no exit handler.
    if (who_ == Interposer::kFaultline) faultline::cp::Segment::unlink(process_.pid());
    if (who_ == Interposer::kLibfiu) bench::remove_libfiu_fifos(process_.pid());
  }

  const std::string& name() const noexcept { return name_; }

  // Nanoseconds per call of one batch.
  double batch(int calls) {
    process_.write_stdin(std::to_string(calls) + "\n");
    const auto line = process_.read_line(10s);
    if (!line) throw std::runtime_error(name_ + " worker did not answer");
    return std::stod(*line) / calls;
  }

 private:
  static testing::SpawnOptions options(Interposer who) {
    testing::SpawnOptions o = bench::spawn_options(who);
    o.pipe_stdin = true;
    return o;
  }

  std::string name_;
  Interposer who_;
  testing::Process process_;
};

void BM_WholeProcess(benchmark::State& state) {
  std::vector<std::unique_ptr<Worker>> workers;
  try {
    workers.push_back(std::make_unique<Worker>("none", Interposer::kNone));
    workers.push_back(std::make_unique<Worker>("control", Interposer::kNone));
    workers.push_back(std::make_unique<Worker>("faultline", Interposer::kFaultline));
    if (!bench::libfiu_preload().empty())
      workers.push_back(std::make_unique<Worker>("libfiu", Interposer::kLibfiu));
    for (auto& w : workers)
      for (int i = 0; i < 50; ++i) w->batch(kBatch);  // warm up
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  std::vector<std::vector<double>> batches(workers.size());
  std::size_t round = 0;
  try {
    for (auto _ : state) {
      double total = 0;
      for (std::size_t i = 0; i < workers.size(); ++i) {
        const std::size_t w = (round + i) % workers.size();  // each round starts with the next worker
        batches[w].push_back(workers[w]->batch(kBatch));
        total += batches[w].back() * kBatch;
      }
      ++round;
      state.SetIterationTime(total * 1e-9);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.counters["none_ns"] = bench::median(batches[0]);
  for (std::size_t w = 1; w < workers.size(); ++w) {
    std::vector<double> deltas;
    for (std::size_t r = 0; r < batches[w].size(); ++r) deltas.push_back(batches[w][r] - batches[0][r]);
    state.counters[workers[w]->name() + "_delta_ns"] = bench::median(deltas);
  }
}
BENCHMARK(BM_WholeProcess)->Iterations(3000)->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--worker") == 0) return worker();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
