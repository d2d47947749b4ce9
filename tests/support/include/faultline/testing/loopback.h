// 127.0.0.1 addresses and sockets bound to a free loopback port: what the
// tests, the helper programs under the preload and the benchmarks all need.
// Header-only (only libc), so that the helper programs use it without
// linking the support library (faultline::test_loopback).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace faultline::testing {

// 127.0.0.1:`port`; port 0 lets bind pick a free one.
inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// Binds `fd` to 127.0.0.1 on a free port and returns that port, or 0 when
// bind or getsockname fails (errno says why).
inline std::uint16_t bind_loopback(int fd) {
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

}  // namespace faultline::testing
