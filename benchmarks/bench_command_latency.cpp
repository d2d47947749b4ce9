// Command to effect: how long a command takes to be in force in an idle
// target (udp_echo waiting for traffic), alternating inject and clear, with
// a pause between commands so that the target's control thread is asleep
// each time, as it is when a person or an experiment sends a command. Our
// control plane and libfiu's take turns, one command each, so both see the
// same machine load.
//
// Counters, in us. libfaultline.so (cp::Client):
//   applied_p50_us, applied_p99_us, applied_max_us: submit -> new plan
//     published, as the target measured it (Ack::apply_ns)
//   ack_seen_p50_us, ack_seen_p99_us: submit -> the client saw the
//     acknowledgement (Client::wait_ack)
// libfiu's remote control over its named pipes, kept open as a session
// (the protocol fiu-ctrl speaks; absent if libfiu is not installed):
//   libfiu_reply_p50_us, libfiu_reply_p99_us: command written -> reply read
// The machine's floor, taking its turn too: a process asleep in FUTEX_WAIT
// on a shared word, as the target's control thread sleeps on its bell,
// woken by FUTEX_WAKE with nothing else to do:
//   futex_wake_p50_us, futex_wake_p99_us: just before the wake call -> the
//     woken process running again (its own clock reading)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faultline/controlplane/client.h"
#include "faultline/controlplane/cpu_relax.h"
#include "faultline/controlplane/futex.h"
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
namespace cp = faultline::cp;
namespace testing = faultline::testing;
using bench::Interposer;
using namespace std::chrono_literals;

// Long enough that the target's control thread is asleep again, and that
// our plan pool (16 plans, each reused 10 ms after it was replaced) never
// makes a command wait: the figure is a command's latency, not a burst's.
constexpr auto kPause = 1ms;

double us(double ns) {
  return ns / 1e3;
}

testing::Process start_idle_target(Interposer who) {
  testing::Process p = testing::Process::spawn({testing::helper_path("udp_echo")}, bench::spawn_options(who));
  if (!p.read_line(10s)) throw std::runtime_error("udp_echo did not start");
  return p;
}

// One end of libfiu's control pipes, opened when the target's remote
// control thread opens the other.
class Fd {
 public:
  Fd(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  }
  // The write end, once the remote control thread reads the pipe: opening it
  // blocking would hang for good if that thread never came.
  static Fd writer_when_read(const std::string& path) {
    for (int i = 0; i < 5000; ++i) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return Fd(fd);
      }
      if (errno != ENXIO && errno != ENOENT) break;
      std::this_thread::sleep_for(2ms);
    }
    throw std::runtime_error("nobody reads " + path);
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  int fd_;
};

// Writes one command line and reads the reply line ("0" when applied).
std::string fiu_command(const Fd& in, const Fd& out, const std::string& line) {
  if (::write(in.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("write to libfiu's control pipe failed");
  std::string reply;
  char c = 0;
  while (::read(out.get(), &c, 1) == 1 && c != '\n') reply += c;
  return reply;
}

// Our target and client.
class FaultlineControl {
 public:
  FaultlineControl() : target_(start_idle_target(Interposer::kFaultline)) {
    std::string why;
    client_ = testing::wait_for_segment(target_.pid(), 10s, &why);
    if (!client_) throw std::runtime_error("no segment: " + why);
  }
  ~FaultlineControl() {
    target_.kill_and_reap(SIGTERM, 2s);
    cp::Segment::unlink(target_.pid());  // in case it did not exit by itself
  }
  FaultlineControl(const FaultlineControl&) = delete;
  FaultlineControl& operator=(const FaultlineControl&) = delete;

  // One command, inject or clear in turn; adds its figures, in ns.
  void command(std::vector<double>& applied, std::vector<double>& seen) {
    const abi::Command cmd = inject_ ? cp::make_inject(fault_) : cp::make_clear(fault_.id);
    inject_ = !inject_;
    const std::int64_t t0 = bench::now_ns();
    const std::uint64_t seq = client_->submit(cmd);
    const cp::AckResult ack = client_->wait_ack(seq, 5s);
    const std::int64_t t1 = bench::now_ns();
    if (ack.status != abi::AckStatus::kApplied)
      throw std::runtime_error("command not applied: " + ack.reason);
    applied.push_back(static_cast<double>(ack.apply_ns));
    seen.push_back(static_cast<double>(t1 - t0));
  }

 private:
  testing::Process target_;
  std::optional<cp::Client> client_;
  const abi::FaultSpec fault_ = bench::loopback_latency("bench-command", 1'000'000, abi::Proto::kUdp, 9);
  bool inject_ = true;
};

// A libfiu target and a session on its control pipes.
class LibfiuControl {
 public:
  LibfiuControl()
      : target_(start_idle_target(Interposer::kLibfiu)),
        base_(bench::libfiu_fifo_prefix() + "-" + std::to_string(target_.pid())),
        in_(Fd::writer_when_read(base_ + ".in")),  // libfiu opens .in first, then .out
        out_(base_ + ".out", O_RDONLY) {}
  ~LibfiuControl() {
    target_.kill_and_reap(SIGTERM, 2s);
    bench::remove_libfiu_fifos(target_.pid());
  }
  LibfiuControl(const LibfiuControl&) = delete;
  LibfiuControl& operator=(const LibfiuControl&) = delete;

  // One command, enable or disable in turn; adds its round trip, in ns.
  void command(std::vector<double>& replies) {
    const std::string line = enable_ ? "enable name=posix/io/net/send\n" : "disable name=posix/io/net/send\n";
    enable_ = !enable_;
    const std::int64_t t0 = bench::now_ns();
    const std::string reply = fiu_command(in_, out_, line);
    const std::int64_t t1 = bench::now_ns();
    if (reply != "0") throw std::runtime_error("libfiu replied '" + reply + "' to " + line);
    replies.push_back(static_cast<double>(t1 - t0));
  }

 private:
  testing::Process target_;
  std::string base_;
  Fd in_;
  Fd out_;
  bool enable_ = true;
};

// A child process asleep on a shared futex word (the control plane's own
// futex calls, as the target's apply thread uses); wake() wakes it and
// measures how long it took to run again. Forked before anything else of
// the benchmark exists; the child makes only system calls and clock reads.
class FutexFloor {
 public:
  FutexFloor() {
    void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
    shared_ = new (p) Shared{};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) sleeper(*shared_);
  }
  ~FutexFloor() {
    shared_->stop.store(1);
    shared_->word.fetch_add(1);
    cp::futex_wake(&shared_->word, 1);
    ::waitpid(pid_, nullptr, 0);
    ::munmap(shared_, sizeof(Shared));
  }
  FutexFloor(const FutexFloor&) = delete;
  FutexFloor& operator=(const FutexFloor&) = delete;

  // One wake-up; adds its latency, in ns.
  void wake(std::vector<double>& out) {
    const std::uint32_t next = shared_->word.load() + 1;
    const std::int64_t t0 = bench::now_ns();
    shared_->word.store(next, std::memory_order_release);
    cp::futex_wake(&shared_->word, 1);
    // As Client::wait_ack: a short spin, then asleep until the answer (a
    // longer spin can hold the CPU the woken process is put on).
    const std::int64_t spin_until = bench::now_ns() + 3'000;
    while (shared_->seen.load(std::memory_order_acquire) != next && bench::now_ns() < spin_until)
      cp::cpu_relax();
    for (std::uint32_t s; (s = shared_->seen.load(std::memory_order_acquire)) != next;)
      cp::futex_wait(&shared_->seen, s, -1);
    out.push_back(static_cast<double>(shared_->woke_ns.load() - t0));
  }

 private:
  struct Shared {
    std::atomic<std::uint32_t> word{0};
    std::atomic<std::uint32_t> seen{0};
    std::atomic<std::int64_t> woke_ns{0};
    std::atomic<int> stop{0};
  };
  [[noreturn]] static void sleeper(Shared& s) {
    std::uint32_t last = 0;
    for (;;) {
      while (s.word.load(std::memory_order_acquire) == last) cp::futex_wait(&s.word, last, -1);
      const std::int64_t woke = bench::now_ns();
      if (s.stop.load() != 0) ::_exit(0);
      last = s.word.load(std::memory_order_acquire);
      s.woke_ns.store(woke);
      s.seen.store(last, std::memory_order_release);
      cp::futex_wake(&s.seen, 1);
    }
  }
  Shared* shared_ = nullptr;
  pid_t pid_ = -1;
};

void BM_CommandToEffect(benchmark::State& state) {
  std::vector<double> applied, seen, replies, floor;
  try {
    FutexFloor futex_floor;
    FaultlineControl ours;
    std::unique_ptr<LibfiuControl> fiu;
    if (!bench::libfiu_preload().empty()) fiu = std::make_unique<LibfiuControl>();
    for (auto _ : state) {
      const std::int64_t t0 = bench::now_ns();
      ours.command(applied, seen);
      std::this_thread::sleep_for(kPause);
      if (fiu) fiu->command(replies);
      std::this_thread::sleep_for(kPause);
      futex_floor.wake(floor);
      std::this_thread::sleep_for(kPause);
      state.SetIterationTime(static_cast<double>(bench::now_ns() - t0) * 1e-9);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.counters["applied_p50_us"] = us(bench::median(applied));
  state.counters["applied_p99_us"] = us(bench::quantile(applied, 0.99));
  state.counters["applied_max_us"] = us(bench::quantile(applied, 1.0));
  state.counters["ack_seen_p50_us"] = us(bench::median(seen));
  state.counters["ack_seen_p99_us"] = us(bench::quantile(seen, 0.99));
  state.counters["futex_wake_p50_us"] = us(bench::median(floor));
  state.counters["futex_wake_p99_us"] = us(bench::quantile(floor, 0.99));
  if (replies.empty()) return;
  state.counters["libfiu_reply_p50_us"] = us(bench::median(replies));
  state.counters["libfiu_reply_p99_us"] = us(bench::quantile(replies, 0.99));
}
BENCHMARK(BM_CommandToEffect)->Iterations(1000)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // libfiu's pipe closing shows as an error, not as our death
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
