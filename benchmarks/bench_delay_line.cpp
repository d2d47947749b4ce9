// The delay line (shim/delay_line.h), side by side in one process:
//
//   BM_DelayLineDelivery/D   delivery error of a datagram queued with delay
//       D: its arrival at a loopback receiver minus the requested due time,
//       minus the transit of a datagram sent without delay on a warm path
//       (hot_transit_p50_ns: sendto to arrival, the third of three sent back
//       to back): what the delay added beyond D. Against the in-thread
//       nanosleep-based wait (clock_nanosleep to the due time, then send),
//       interleaved so both see the same machine, and net of the same
//       transit. The receiver spins on a non-blocking recv (yielding
//       between polls) so its own wake-up does not count. Counters in ns:
//       line_p50/p99, nanosleep_p50/p99, hot_transit_p50_ns, and margin_ns,
//       the precise wait's sleep-to-spin margin the line's engine used at
//       the end.
//   BM_IdleReadiness/poll, /epoll_wait, /select   the idle cost of the
//       readiness interposition: poll(fd, 1, 0), epoll_wait(ep, ev, 1, 0)
//       and select(fd + 1, {fd}, 0, 0, {0, 0}) on an
//       empty socket through what a call by name reaches (libfaultline.so's
//       wrapper; the program re-executes itself under it) against libc's
//       own definition, paired (support/paired_timing.h). delta_ns is the
//       median paired difference.
//
//   build/release/benchmarks/bench_delay_line
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "faultline/shim/clock.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/precise_wait.h"
#include "faultline/testing/loopback.h"
#include "support/bench_support.h"
#include "support/paired_timing.h"

namespace {

using faultline::bench::percentile;
using faultline::shim::now_ns;
namespace delay = faultline::shim::delay;

struct UdpPair {
  int rx = -1, tx = -1;
  sockaddr_in to{};
  UdpPair() {
    rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    tx = socket(AF_INET, SOCK_DGRAM, 0);
    to = faultline::testing::loopback(faultline::testing::bind_loopback(rx));
  }
  ~UdpPair() {
    close(rx);
    close(tx);
  }
  // Spins until the datagram arrives; its arrival time. Each empty poll
  // yields the CPU: the engine thread (or, with few CPUs, anything else
  // runnable) must not wait out the spinner's slice to run.
  std::int64_t arrival() const {
    char buf[64];
    for (;;) {
      if (recv(rx, buf, sizeof buf, MSG_DONTWAIT) > 0) return now_ns();
      sched_yield();
    }
  }
};

void BM_DelayLineDelivery(benchmark::State& state) {
  const std::int64_t d = state.range(0);
  if (!delay::available()) {
    state.SkipWithError("the delay line's engine cannot start (io_uring)");
    return;
  }
  UdpPair p;
  faultline::shim::SocketInfo info{};
  info.proto = static_cast<std::uint8_t>(faultline::abi::Proto::kUdp);
  info.datagram = 1;
  char payload[32] = {};
  iovec iov{payload, sizeof payload};
  delay::Outgoing out;
  out.iov = &iov;
  out.iovcnt = 1;
  out.addr = reinterpret_cast<const sockaddr*>(&p.to);
  out.addr_len = sizeof p.to;
  for (int i = 0; i < 50; ++i) faultline::shim::wait_for_ns(200'000);  // the margin adapts
  std::vector<std::int64_t> line, sleep, transit;
  const auto send_now = [&] {
    sendto(p.tx, payload, sizeof payload, 0, reinterpret_cast<const sockaddr*>(&p.to), sizeof p.to);
  };
  for (auto _ : state) {
    const std::int64_t start = now_ns();
    const std::int64_t due = now_ns() + d;
    delay::send(p.tx, info, out, d, false);
    line.push_back(p.arrival() - due);
    const std::int64_t due2 = now_ns() + d;
    faultline::shim::sleep_until_ns(due2);
    send_now();
    sleep.push_back(p.arrival() - due2);
    for (int i = 0; i < 2; ++i) {
      send_now();
      p.arrival();
    }
    const std::int64_t sent = now_ns();
    send_now();
    transit.push_back(p.arrival() - sent);
    state.SetIterationTime(static_cast<double>(now_ns() - start) * 1e-9);
  }
  const double hot = percentile(transit, 0.5);
  state.counters["hot_transit_p50_ns"] = hot;
  state.counters["line_p50_ns"] = percentile(line, 0.5) - hot;
  state.counters["line_p99_ns"] = percentile(line, 0.99) - hot;
  state.counters["nanosleep_p50_ns"] = percentile(sleep, 0.5) - hot;
  state.counters["nanosleep_p99_ns"] = percentile(sleep, 0.99) - hot;
  state.counters["margin_ns"] = static_cast<double>(faultline::shim::precise_wait_margin_ns());
}

BENCHMARK(BM_DelayLineDelivery)
    ->Arg(20'000)
    ->Iterations(1000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DelayLineDelivery)
    ->Arg(1'000'000)
    ->Iterations(200)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DelayLineDelivery)
    ->Arg(10'000'000)
    ->Iterations(40)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DelayLineDelivery)
    ->Arg(200'000'000)
    ->Iterations(6)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

template <class Fn>
Fn as_function(void* symbol) {
  Fn fn = nullptr;
  std::memcpy(&fn, &symbol, sizeof fn);
  return fn;
}

using PollFn = int (*)(pollfd*, nfds_t, int);
using EpollWaitFn = int (*)(int, epoll_event*, int, int);
using SelectFn = int (*)(int, fd_set*, fd_set*, fd_set*, timeval*);

constexpr int kBatch = 32;

void BM_IdleReadiness(benchmark::State& state) {
  const std::int64_t which = state.range(0);  // 0 poll, 1 epoll_wait, 2 select
  UdpPair p;
  const int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = p.rx}};
  epoll_ctl(ep, EPOLL_CTL_ADD, p.rx, &ev);
  const auto poll_via = as_function<PollFn>(faultline::bench::global_function("poll"));
  const auto poll_libc = as_function<PollFn>(faultline::bench::libc_function("poll"));
  const auto wait_via = as_function<EpollWaitFn>(faultline::bench::global_function("epoll_wait"));
  const auto wait_libc = as_function<EpollWaitFn>(faultline::bench::libc_function("epoll_wait"));
  const auto select_via = as_function<SelectFn>(faultline::bench::global_function("select"));
  const auto select_libc = as_function<SelectFn>(faultline::bench::libc_function("select"));
  struct Targets {
    PollFn poll;
    EpollWaitFn wait;
    SelectFn select;
  };
  const Targets interposed{poll_via, wait_via, select_via}, direct{poll_libc, wait_libc, select_libc};
  auto call = [&](const Targets& t) {
    if (which == 1) {
      epoll_event out[1];
      benchmark::DoNotOptimize(t.wait(ep, out, 1, 0));
    } else if (which == 2) {
      fd_set readable;
      FD_ZERO(&readable);
      FD_SET(p.rx, &readable);
      timeval zero{0, 0};
      benchmark::DoNotOptimize(t.select(p.rx + 1, &readable, nullptr, nullptr, &zero));
    } else {
      pollfd pfd{p.rx, POLLIN, 0};
      benchmark::DoNotOptimize(t.poll(&pfd, 1, 0));
    }
  };
  faultline::bench::PairedTiming timing;
  for (int i = 0; i < 1000; ++i) timing.run(call, direct, interposed, 1);
  timing = faultline::bench::PairedTiming();
  timing.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state)
    state.SetIterationTime(static_cast<double>(timing.run(call, direct, interposed, kBatch)) * 1e-9);
  void* const answered = which == 1   ? reinterpret_cast<void*>(wait_via)
                         : which == 2 ? reinterpret_cast<void*>(select_via)
                                      : reinterpret_cast<void*>(poll_via);
  state.SetLabel("interposer=" + faultline::bench::object_name(answered));
  state.counters["direct_ns"] = timing.a_ns();
  state.counters["interposed_ns"] = timing.b_ns();
  state.counters["delta_ns"] = timing.delta_ns();
  close(ep);
}

BENCHMARK(BM_IdleReadiness)->Name("BM_IdleReadiness/poll")->Arg(0)->Iterations(20000)->UseManualTime();
BENCHMARK(BM_IdleReadiness)->Name("BM_IdleReadiness/epoll_wait")->Arg(1)->Iterations(20000)->UseManualTime();
BENCHMARK(BM_IdleReadiness)->Name("BM_IdleReadiness/select")->Arg(2)->Iterations(20000)->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  // The readiness rows compare libfaultline.so's wrappers with libc's.
  if (!faultline::bench::ensure_preloaded(argv, faultline::bench::faultline_preload_path())) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
