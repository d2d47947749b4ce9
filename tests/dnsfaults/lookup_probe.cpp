// A program for the dns and stall tests, run under the preload: it does one
// thing per line of stdin and answers with one line on stdout.
//   resolve NAME  getaddrinfo(NAME, IPv4) -> "rc=<return code> errno=<errno> ns=<elapsed>"
//   numeric NAME  the same with AI_NUMERICHOST
//                 (errno set to 4242 before the call: an injected failure
//                 must leave it untouched)
//   send          a 1-byte datagram from a loopback UDP socket to itself,
//                 then received back -> "ns=<elapsed sendto>"
// Prints "ready" first.
//
// lookup_probe --hosts FILE resolves names from FILE instead of the
// machine's /etc/hosts: it enters a mount namespace of its own and binds
// FILE over /etc/hosts there (root only), so the tests' names resolve
// offline on any machine.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "faultline/testing/loopback.h"

namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void resolve(const std::string& name, int flags) {
  addrinfo hints{};
  hints.ai_flags = flags;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  errno = 4242;
  const std::int64_t t0 = now_ns();
  const int rc = getaddrinfo(name.c_str(), "80", &hints, &result);
  const std::int64_t elapsed = now_ns() - t0;
  const int e = errno;
  if (rc == 0) freeaddrinfo(result);
  std::printf("rc=%d errno=%d ns=%lld\n", rc, e, static_cast<long long>(elapsed));
}

void send_to_self(int fd, const sockaddr_in& self) {
  const char byte = 'x';
  const std::int64_t t0 = now_ns();
  const ssize_t n = sendto(fd, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&self), sizeof self);
  const std::int64_t elapsed = now_ns() - t0;
  char back = 0;
  if (n == 1) (void)recv(fd, &back, 1, 0);
  std::printf("ns=%lld\n", static_cast<long long>(n == 1 ? elapsed : -1));
}

}  // namespace

// This process's own /etc/hosts (a private mount namespace); false with a
// message on stderr if the kernel refuses (not root).
bool use_hosts_file(const char* file) {
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      mount(file, "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
    std::fprintf(stderr, "lookup_probe: cannot bind %s over /etc/hosts: %s\n", file, std::strerror(errno));
    return false;
  }
  return true;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--hosts") == 0) {
    if (!use_hosts_file(argv[2])) return 3;
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: lookup_probe [--hosts FILE]\n");
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const std::uint16_t port = fd < 0 ? 0 : faultline::testing::bind_loopback(fd);
  if (port == 0) {
    std::perror("lookup_probe: socket");
    return 1;
  }
  const sockaddr_in self = faultline::testing::loopback(port);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("ready\n");
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("resolve ", 0) == 0)
      resolve(line.substr(8), 0);
    else if (line.rfind("numeric ", 0) == 0)
      resolve(line.substr(8), AI_NUMERICHOST);
    else if (line == "send")
      send_to_self(fd, self);
    else
      std::printf("unknown command '%s'\n", line.c_str());
  }
  close(fd);
  return 0;
}
