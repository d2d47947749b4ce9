// Checks, inside a process under the preload, that intercepted calls leave
// errno exactly as libc alone would: failing calls report their own errno
// (EBADF, EAGAIN, ENOTSOCK, ENOTCONN, ECONNREFUSED) and successful calls
// leave a sentinel untouched. Prints "ok N" (checks passed) or one
// "FAIL name: ..." line per failed check; exit 0 only if all passed.
//
//   errno_probe [--wait-stdin]   (waits for a line on stdin before checking,
//                                 so a test can arm faults first)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "args.h"
#include "faultline/testing/loopback.h"

namespace {

using faultline::testing::loopback;

constexpr int kSentinel = 4242;
int g_checks = 0;
int g_failures = 0;

void expect_errno(const char* name, long result, int expected_errno) {
  const int e = errno;
  ++g_checks;
  if (result != -1 || e != expected_errno) {
    ++g_failures;
    std::printf("FAIL %s: expected -1/%s, got %ld/%s\n", name, strerrorname_np(expected_errno), result,
                strerrorname_np(e));
  }
}

void expect_untouched(const char* name, long result) {
  const int e = errno;
  ++g_checks;
  if (result < 0 || e != kSentinel) {
    ++g_failures;
    std::printf("FAIL %s: expected success with errno untouched, got %ld/%d\n", name, result, e);
  }
}

int bound_udp(int flags, sockaddr_in* where) {
  const int fd = socket(AF_INET, SOCK_DGRAM | flags, 0);
  *where = loopback(faultline::testing::bind_loopback(fd));
  return fd;
}

void bad_descriptor_checks() {
  char buf[16] = {};
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  sockaddr_in a = loopback(9);
  socklen_t len = sizeof a;
  errno = 0;
  expect_errno("recv(-1)", recv(-1, buf, sizeof buf, 0), EBADF);
  expect_errno("send(-1)", send(-1, buf, sizeof buf, 0), EBADF);
  expect_errno("recvfrom(-1)", recvfrom(-1, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&a), &len),
               EBADF);
  expect_errno("sendto(-1)", sendto(-1, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
               EBADF);
  expect_errno("recvmsg(-1)", recvmsg(-1, &msg, 0), EBADF);
  expect_errno("sendmsg(-1)", sendmsg(-1, &msg, 0), EBADF);
  expect_errno("read(-1)", read(-1, buf, sizeof buf), EBADF);
  expect_errno("write(-1)", write(-1, buf, sizeof buf), EBADF);
  expect_errno("readv(-1)", readv(-1, &iov, 1), EBADF);
  expect_errno("writev(-1)", writev(-1, &iov, 1), EBADF);
  expect_errno("close(-1)", close(-1), EBADF);
  expect_errno("accept(-1)", accept(-1, nullptr, nullptr), EBADF);
  expect_errno("connect(-1)", connect(-1, reinterpret_cast<sockaddr*>(&a), sizeof a), EBADF);
  expect_errno("dup2(-1)", dup2(-1, 100), EBADF);
}

void would_block_checks() {
  char buf[16];
  sockaddr_in self{};
  const int nb = bound_udp(SOCK_NONBLOCK, &self);
  expect_errno("recv(nonblocking, empty)", recv(nb, buf, sizeof buf, 0), EAGAIN);
  expect_errno("read(nonblocking, empty)", read(nb, buf, sizeof buf), EAGAIN);
  const int blocking = bound_udp(0, &self);
  expect_errno("recvfrom(MSG_DONTWAIT, empty)",
               recvfrom(blocking, buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr), EAGAIN);
  close(nb);
  close(blocking);
}

void wrong_kind_checks() {
  char buf[16] = {};
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  expect_errno("send(pipe)", send(pipe_fds[1], buf, sizeof buf, 0), ENOTSOCK);
  close(pipe_fds[0]);
  close(pipe_fds[1]);

  const int tcp = socket(AF_INET, SOCK_STREAM, 0);
  expect_errno("recv(unconnected tcp)", recv(tcp, buf, sizeof buf, 0), ENOTCONN);
  close(tcp);

  // A port nobody listens on: bind one, close it, connect to it.
  const int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(faultline::testing::bind_loopback(probe));
  close(probe);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  expect_errno("connect(closed port)", connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a),
               ECONNREFUSED);
  close(client);
}

void sentinel_checks() {
  char buf[64] = "faultline";
  sockaddr_in self{};
  const int fd = bound_udp(0, &self);  // unconnected: getpeername fails inside the shim
  errno = kSentinel;
  expect_untouched("sendto(udp)", sendto(fd, buf, 9, 0, reinterpret_cast<sockaddr*>(&self), sizeof self));
  sockaddr_in from{};
  socklen_t from_len = sizeof from;
  errno = kSentinel;
  expect_untouched("recvfrom(udp)",
                   recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len));
  errno = kSentinel;
  expect_untouched("sendto(udp) again",
                   sendto(fd, buf, 9, 0, reinterpret_cast<sockaddr*>(&self), sizeof self));
  errno = kSentinel;
  expect_untouched("read(udp)", read(fd, buf, sizeof buf));

  int pipe_fds[2];
  if (pipe(pipe_fds) == 0) {
    errno = kSentinel;
    expect_untouched("write(pipe)", write(pipe_fds[1], buf, 4));
    errno = kSentinel;
    expect_untouched("read(pipe)", read(pipe_fds[0], buf, 4));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
  errno = kSentinel;
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  expect_untouched("socket", s);
  errno = kSentinel;
  expect_untouched("close(socket)", close(s));
  errno = kSentinel;
  expect_untouched("close(udp)", close(fd));
}

}  // namespace

int main(int argc, char** argv) {
  const faultline::testing::programs::Args args(argc, argv);
  if (args.flag("--wait-stdin")) {
    char line[64];
    if (std::fgets(line, sizeof line, stdin) == nullptr) return 2;
  }
  bad_descriptor_checks();
  would_block_checks();
  wrong_kind_checks();
  sentinel_checks();
  if (g_failures == 0) std::printf("ok %d\n", g_checks);
  std::fflush(stdout);
  return g_failures == 0 ? 0 : 1;
}
