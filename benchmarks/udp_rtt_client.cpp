// UDP round-trip client that the benchmark driver keeps running and feeds
// rounds on stdin, so that several clients (no preload, libfaultline.so,
// libfiu) take turns without a process start between rounds, and a fault
// can be armed in it between two rounds.
//
//   udp_rtt_client --port P [--size B]
//
// Prints "ready" once its socket is set up, then reads one command a line:
//   run N [WAIT_NS [sleep|spin|precise]]
//                     N round trips to 127.0.0.1:P, one at a time, each
//                     after the application itself waited WAIT_NS, with
//                     clock_nanosleep (sleep, the default), by spinning on
//                     the clock (spin), or with faultline's own precise wait
//                     (precise: shim/precise_wait.h, the wait an injected
//                     delay makes in the calling thread); prints one line
//                     "rtts R1 ... RN sends S1 ... SN sendtos T1 ... TN"
//                     in ns: R the round trip (-1: no echo within 1 s), S
//                     its part until sendto returned (the wait and the
//                     send), T the sendto call alone
//   quit
// A round trip: clock, [wait,] clock, sendto, clock, recv until the echo
// of this datagram (stale echoes of earlier ones are skipped), clock.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "faultline/shim/precise_wait.h"
#include "faultline/testing/loopback.h"

namespace {

std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ns(std::int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

long option(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  return fallback;
}

void spin_until(std::int64_t deadline_ns) {
  while (mono_ns() < deadline_ns) {
  }
}

enum class Wait { kSleep, kSpin, kPrecise };

void wait_for(std::int64_t start_ns, std::int64_t wait_ns, Wait how) {
  if (how == Wait::kSleep) return sleep_ns(wait_ns);
  if (how == Wait::kPrecise) return faultline::shim::wait_until_ns(start_ns + wait_ns);
  spin_until(start_ns + wait_ns);
}

struct RoundTrip {
  std::int64_t rtt_ns = -1, send_ns = -1, sendto_ns = -1;
};

// One round trip of datagram `seq`.
RoundTrip round_trip(int fd, const sockaddr_in& server, std::vector<unsigned char>& out,
                     std::vector<unsigned char>& in, std::uint64_t seq, std::int64_t wait_ns, Wait how) {
  RoundTrip r;
  std::memcpy(out.data(), &seq, sizeof seq);
  const std::int64_t t0 = mono_ns();
  wait_for(t0, wait_ns, how);
  const std::int64_t t1 = mono_ns();
  if (sendto(fd, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&server), sizeof server) < 0)
    return r;
  const std::int64_t t2 = mono_ns();
  r.send_ns = t2 - t0;
  r.sendto_ns = t2 - t1;
  for (;;) {
    const ssize_t n = recv(fd, in.data(), in.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return r;  // SO_RCVTIMEO passed
    }
    std::uint64_t got = 0;
    if (n >= static_cast<ssize_t>(sizeof got)) std::memcpy(&got, in.data(), sizeof got);
    if (got == seq) {
      r.rtt_ns = mono_ns() - t0;
      return r;
    }
  }
}

void append_number(std::string& to, std::int64_t v) {
  char number[24];
  const int n = std::snprintf(number, sizeof number, " %lld", static_cast<long long>(v));
  to.append(number, static_cast<std::size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  const long port = option(argc, argv, "--port", 0);
  const long size = option(argc, argv, "--size", 64);
  if (port <= 0 || port > 65535 || size < 8 || size > 65000) {
    std::fprintf(stderr, "usage: udp_rtt_client --port P [--size B]\n");
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const timeval timeout{1, 0};
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
    std::perror("udp_rtt_client: socket");
    return 2;
  }
  const sockaddr_in server = faultline::testing::loopback(static_cast<std::uint16_t>(port));
  std::vector<unsigned char> out(static_cast<std::size_t>(size), 0x5a),
      in(static_cast<std::size_t>(size) + 1);
  std::printf("ready\n");
  std::fflush(stdout);

  std::uint64_t seq = 0;
  char line[128];
  std::string reply;
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    long count = 0;
    long long wait = 0;
    char how[8] = "sleep";
    if (std::strncmp(line, "quit", 4) == 0) break;
    if (std::sscanf(line, "run %ld %lld %7s", &count, &wait, how) < 1 || count <= 0) {
      std::printf("error bad command\n");
      std::fflush(stdout);
      continue;
    }
    const Wait wait_how = std::strcmp(how, "spin") == 0      ? Wait::kSpin
                          : std::strcmp(how, "precise") == 0 ? Wait::kPrecise
                                                             : Wait::kSleep;
    std::vector<RoundTrip> trips;
    for (long i = 0; i < count; ++i) trips.push_back(round_trip(fd, server, out, in, ++seq, wait, wait_how));
    reply.assign("rtts");
    for (const RoundTrip& t : trips) append_number(reply, t.rtt_ns);
    reply.append(" sends");
    for (const RoundTrip& t : trips) append_number(reply, t.send_ns);
    reply.append(" sendtos");
    for (const RoundTrip& t : trips) append_number(reply, t.sendto_ns);
    std::printf("%s\n", reply.c_str());
    std::fflush(stdout);
  }
  return 0;
}
