// Instruction count of an intercepted call against the direct call, for
// callgrind (compare.sh runs it under valgrind --tool=callgrind with
// --toggle-collect on the loops below): a deterministic figure that no
// machine load disturbs. Each loop makes N calls of one syscall-light call
// (support/light_calls.h), through what a call by name reaches (the
// preloaded wrapper) or through libc's own definition; the loop's inclusive
// instruction count divided by N is instructions per call (the kernel's
// share is not counted: valgrind sees a syscall as one instruction).
//
//   idle_call_instructions [N [idle|armed|telemetry]]   (default 100000 idle)
//
// armed and telemetry put the process's own libfaultline.so in that mode
// first (bench_armed_call.cpp says what each means).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "faultline/controlplane/client.h"
#include "support/faults.h"
#include "support/light_calls.h"

namespace bench = faultline::bench;
using bench::LightCall;

// noipa: each loop stays a function of its own that callgrind can name,
// never merged with its twin or inlined.
#define FAULTLINE_CALL_LOOP(name, call)                                                                      \
  extern "C" __attribute__((noipa)) void name(const bench::CallTargets& t, const bench::LightCallSockets& s, \
                                              long n) {                                                      \
    for (long i = 0; i < n; ++i) bench::make_call<call>(t, s);                                               \
  }
FAULTLINE_CALL_LOOP(faultline_loop_read_ebadf_direct, LightCall::kReadEbadf)
FAULTLINE_CALL_LOOP(faultline_loop_read_ebadf_interposed, LightCall::kReadEbadf)
FAULTLINE_CALL_LOOP(faultline_loop_recv_eagain_direct, LightCall::kRecvEagain)
FAULTLINE_CALL_LOOP(faultline_loop_recv_eagain_interposed, LightCall::kRecvEagain)
FAULTLINE_CALL_LOOP(faultline_loop_send_eagain_direct, LightCall::kSendEagain)
FAULTLINE_CALL_LOOP(faultline_loop_send_eagain_interposed, LightCall::kSendEagain)
#undef FAULTLINE_CALL_LOOP

namespace {

void enter_mode(const std::string& mode, std::uint16_t other_port) {
  if (mode == "idle") return;
  if (mode != "armed" && mode != "telemetry") throw std::runtime_error("unknown mode " + mode);
  std::string why;
  auto self = faultline::cp::Client::attach(getpid(), &why);
  if (!self) throw std::runtime_error("no segment of my own (is libfaultline.so preloaded?): " + why);
  if (mode == "telemetry") {
    why = bench::apply(*self, faultline::cp::make_telemetry(true));
  } else {
    const auto fault =
        bench::loopback_latency("bench-unmatched", 1'000'000, faultline::abi::Proto::kTcp, other_port);
    why = bench::apply(*self, faultline::cp::make_inject(fault));
  }
  if (!why.empty()) throw std::runtime_error(mode + ": " + why);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100000;
  const std::string mode = argc > 2 ? argv[2] : "idle";
  try {
    const bench::LightCallSockets sockets;
    enter_mode(mode, static_cast<std::uint16_t>(sockets.full_tcp_peer_port() ^ 1u));
    const bench::CallTargets direct = bench::direct_targets();
    const bench::CallTargets interposed = bench::interposed_targets();
    faultline_loop_read_ebadf_direct(direct, sockets, n);
    faultline_loop_read_ebadf_interposed(interposed, sockets, n);
    faultline_loop_recv_eagain_direct(direct, sockets, n);
    faultline_loop_recv_eagain_interposed(interposed, sockets, n);
    faultline_loop_send_eagain_direct(direct, sockets, n);
    faultline_loop_send_eagain_interposed(interposed, sockets, n);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "idle_call_instructions: %s\n", e.what());
    return 2;
  }
  std::printf("calls_per_loop %ld mode %s\n", n, mode.c_str());
  return 0;
}
