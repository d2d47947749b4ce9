// UDP round-trip client for tests: sends --count datagrams of --size bytes
// to 127.0.0.1:--port one at a time, each waiting up to --timeout-ms for its
// echo (stale echoes of earlier datagrams are skipped), and checks every
// reply byte for byte. Prints one line per round trip or, with --json, a
// summary (see rtt_report.h). Exit 0 when every datagram came back.
//
//   udp_pinger --port P [--count N] [--size B] [--timeout-ms T]
//              [--bind-port P] [--interval-us U] [--api sendto|send] [--json]
//              [--wait-stdin]   (waits for a line on stdin before the first
//                                datagram, so a test can arm faults first)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "faultline/testing/loopback.h"
#include "rtt_report.h"

namespace programs = faultline::testing::programs;

int main(int argc, char** argv) {
  const programs::Args args(argc, argv);
  const std::optional<programs::PingOptions> options = programs::ping_options(args, "udp_pinger");
  if (!options) return 2;
  const auto [port, count, size, timeout_ms, json] = *options;
  const long interval_us = args.number("--interval-us", 0);
  const bool connected = args.text("--api", "sendto") == "send";

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in server = faultline::testing::loopback(port);
  if (const long bind_port = args.number("--bind-port", 0); bind_port > 0) {
    sockaddr_in local = faultline::testing::loopback(static_cast<std::uint16_t>(bind_port));
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      std::perror("udp_pinger: bind");
      return 2;
    }
  }
  if (connected && connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    std::perror("udp_pinger: connect");
    return 2;
  }

  if (args.flag("--wait-stdin")) {
    char line[64];
    if (std::fgets(line, sizeof line, stdin) == nullptr) return 2;
  }

  programs::RttReport report;
  std::vector<unsigned char> out(size), in(size + 1);
  for (long i = 0; i < count; ++i) {
    if (i > 0 && interval_us > 0) usleep(static_cast<useconds_t>(interval_us));
    const auto seq = static_cast<std::uint64_t>(i);
    programs::fill_payload(out.data(), size, seq);
    const std::int64_t t0 = programs::mono_ns();
    const ssize_t sent =
        connected ? send(fd, out.data(), size, 0)
                  : sendto(fd, out.data(), size, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
    if (sent != static_cast<ssize_t>(size)) {
      std::perror("udp_pinger: send");
      return 2;
    }
    ++report.sent;
    const std::int64_t deadline = t0 + timeout_ms * 1'000'000;
    bool done = false;
    while (!done) {
      const std::int64_t left_ms = (deadline - programs::mono_ns()) / 1'000'000;
      pollfd pfd{fd, POLLIN, 0};
      const int ready = poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left_ms, 0)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) break;
      const ssize_t n = recv(fd, in.data(), in.size(), 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        std::perror("udp_pinger: recv");
        return 2;
      }
      std::uint64_t got = 0;
      for (int b = 0; b < 8 && b < n; ++b) got |= static_cast<std::uint64_t>(in[b]) << (8 * b);
      if (n >= 8 && got < seq) continue;  // a late echo of an earlier datagram
      const std::int64_t rtt = programs::mono_ns() - t0;
      if (n != static_cast<ssize_t>(size) || std::memcmp(in.data(), out.data(), size) != 0)
        ++report.mismatches;
      report.rtts_ns.push_back(rtt);
      if (!json) std::printf("rtt_ns %lld\n", static_cast<long long>(rtt));
      done = true;
    }
    if (!done) {
      ++report.timeouts;
      if (!json) std::printf("timeout\n");
    }
  }
  if (json) report.print_json();
  return report.timeouts == 0 && report.mismatches == 0 ? 0 : 1;
}
