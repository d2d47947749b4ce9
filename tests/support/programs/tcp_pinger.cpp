// TCP round-trip client for tests: connects to 127.0.0.1:--port and does
// --count round trips of --size bytes (write the message, read it back in
// full within --timeout-ms), checking every byte. Stops at the first timeout
// (the stream is out of step after one). Prints one line per round trip or,
// with --json, a summary (see rtt_report.h). Exit 0 when all came back.
//
//   tcp_pinger --port P [--count N] [--size B] [--timeout-ms T] [--json]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "args.h"
#include "faultline/testing/loopback.h"
#include "rtt_report.h"

namespace programs = faultline::testing::programs;

namespace {

bool write_all(int fd, const unsigned char* buf, std::size_t len) {
  while (len > 0) {
    const ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// 1: read all, 0: timed out, -1: error or end of stream.
int read_all(int fd, unsigned char* buf, std::size_t len, std::int64_t deadline) {
  while (len > 0) {
    const std::int64_t left_ms = (deadline - programs::mono_ns()) / 1'000'000;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left_ms, 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return 0;
    if (ready < 0) return -1;
    const ssize_t n = read(fd, buf, len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= static_cast<std::size_t>(n);
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const programs::Args args(argc, argv);
  const std::optional<programs::PingOptions> options = programs::ping_options(args, "tcp_pinger");
  if (!options) return 2;
  const auto [port, count, size, timeout_ms, json] = *options;

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in server = faultline::testing::loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    std::perror("tcp_pinger: connect");
    return 2;
  }

  programs::RttReport report;
  std::vector<unsigned char> out(size), in(size);
  for (long i = 0; i < count; ++i) {
    programs::fill_payload(out.data(), size, static_cast<std::uint64_t>(i));
    const std::int64_t t0 = programs::mono_ns();
    if (!write_all(fd, out.data(), size)) {
      std::perror("tcp_pinger: write");
      return 2;
    }
    ++report.sent;
    const int got = read_all(fd, in.data(), size, t0 + timeout_ms * 1'000'000);
    if (got < 0) {
      std::fprintf(stderr, "tcp_pinger: connection lost\n");
      return 2;
    }
    if (got == 0) {
      ++report.timeouts;
      if (!json) std::printf("timeout\n");
      break;
    }
    const std::int64_t rtt = programs::mono_ns() - t0;
    if (std::memcmp(in.data(), out.data(), size) != 0) ++report.mismatches;
    report.rtts_ns.push_back(rtt);
    if (!json) std::printf("rtt_ns %lld\n", static_cast<long long>(rtt));
  }
  close(fd);
  if (json) report.print_json();
  return report.timeouts == 0 && report.mismatches == 0 ? 0 : 1;
}
