// Idle cost of an intercepted call for the whole process: what a program
// pays for read(-1) called by name when it was started with nothing
// preloaded, with libfaultline.so or with libfiu's POSIX preload. Unlike
// bench_idle_call (wrapper against libc in one process), this also holds
// what the preload changes around the call: once its apply thread exists,
// glibc's cancellable calls (read, recv, send, poll...) would take their
// multi-threaded path in a program that was single-threaded, which is why
// the idle wrapper makes them itself there (preload/src/direct_calls.h).
// Two more preloaded workers split the figure: faultline_nothread
// (FAULTLINE_DISABLE=1: the wrapper, no apply thread) and faultline_libc
// (FAULTLINE_DIRECT_SYSCALLS=0: the wrapper calling libc, as in a host with
// threads). Two unpreloaded workers make read(-1) as a raw system call, one
// of them with a second thread asleep beside it (raw_sleeper - raw: what
// the kernel charges for the apply thread's mere existence).
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
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
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


// read(-1) as the kernel's system call, no libc wrapper around it.
long raw_read(char* buffer, std::size_t len) {
  return syscall(SYS_read, -1, buffer, len);
}

void* sleep_forever(void*) {
  for (;;) pause();
}

// Worker: for each line "N" on stdin, times N calls of read(-1) and prints
// the nanoseconds. By name (libc's or an interposer's) unless `raw`; with a
// second thread sleeping beside it if `sleeper`.
int worker(bool raw, bool sleeper) {
  char line[32];
  char buffer[64];
  pthread_t thread;
  if (sleeper && pthread_create(&thread, nullptr, sleep_forever, nullptr) != 0) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    const long n = std::strtol(line, nullptr, 10);
    const std::int64_t t0 = bench::now_ns();
    if (raw)
      for (long i = 0; i < n; ++i) benchmark::DoNotOptimize(raw_read(buffer, sizeof buffer));
    else
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
  Worker(std::string name, Interposer who, std::vector<std::string> env = {}, const char* mode = "--worker")
      : name_(std::move(name)),
        who_(who),
        process_(testing::Process::spawn({"/proc/self/exe", mode}, options(who, std::move(env)))) {
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
  static testing::SpawnOptions options(Interposer who, std::vector<std::string> env) {
    testing::SpawnOptions o = bench::spawn_options(who);
    for (auto& e : env) o.env.push_back(e);
    o.pipe_stdin = true;
    return o;
  }

  std::string name_;
  Interposer who_;
  testing::Process process_;
};

// Calls per batch (the benchmark's argument). 64: each batch starts after the
// worker's own stdio work on the request pipe, so the call's code and data
// are partly cold, as for a call made now and then between other work;
// 1024: the steady cost of back-to-back calls.
void BM_WholeProcess(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  std::vector<std::unique_ptr<Worker>> workers;
  try {
    workers.push_back(std::make_unique<Worker>("none", Interposer::kNone));
    workers.push_back(std::make_unique<Worker>("control", Interposer::kNone));
    workers.push_back(std::make_unique<Worker>("faultline", Interposer::kFaultline));
    // The wrapper alone (no apply thread), and the wrapper calling libc's
    // functions as it does in a host with threads of its own.
    workers.push_back(std::make_unique<Worker>("faultline_nothread", Interposer::kFaultline,
                                               std::vector<std::string>{"FAULTLINE_DISABLE=1"}));
    workers.push_back(std::make_unique<Worker>("faultline_libc", Interposer::kFaultline,
                                               std::vector<std::string>{"FAULTLINE_DIRECT_SYSCALLS=0"}));
    // No preload, the system call made raw, without and with a sleeping
    // second thread: what the kernel alone charges a process for having a
    // thread beside the caller (the apply thread's share of the figure).
    workers.push_back(std::make_unique<Worker>("raw", Interposer::kNone, std::vector<std::string>{}, "--worker-raw"));
    workers.push_back(std::make_unique<Worker>("raw_sleeper", Interposer::kNone, std::vector<std::string>{},
                                               "--worker-raw-sleeper"));
    if (!bench::libfiu_preload().empty())
      workers.push_back(std::make_unique<Worker>("libfiu", Interposer::kLibfiu));
    for (auto& w : workers)
      for (int i = 0; i < 50; ++i) w->batch(batch);  // warm up
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
        batches[w].push_back(workers[w]->batch(batch));
        total += batches[w].back() * batch;
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
BENCHMARK(BM_WholeProcess)->Arg(64)->Arg(1024)->Iterations(3000)->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--worker") == 0) return worker(false, false);
  if (argc > 1 && std::strcmp(argv[1], "--worker-raw") == 0) return worker(true, false);
  if (argc > 1 && std::strcmp(argv[1], "--worker-raw-sleeper") == 0) return worker(true, true);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
