// UDP echo server for tests: binds 127.0.0.1 (port 0 = any), prints the port
// as its first stdout line, echoes every datagram back to its sender until
// SIGTERM/SIGINT, then prints "received N" (datagrams the program got).
//
//   udp_echo [--port P] [--api recvfrom|recvmsg] [--nonblocking] [--fork-on-stdin]
//
// The server waits in poll() and then receives; --nonblocking makes the
// socket O_NONBLOCK, as in an event loop.
// --fork-on-stdin: after printing the port, waits for a line on stdin, then
// forks; the child prints "child PID" and serves, the parent only waits for
// it (and passes SIGTERM on).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "args.h"
#include "faultline/testing/loopback.h"

namespace {

volatile sig_atomic_t g_stop = 0;
volatile pid_t g_child = 0;

void on_signal(int) {
  g_stop = 1;
  if (g_child > 0) kill(g_child, SIGTERM);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a blocked receive returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

ssize_t receive(int fd, bool use_msg, char* buf, std::size_t cap, sockaddr_in* peer) {
  socklen_t len = sizeof *peer;
  if (!use_msg) return recvfrom(fd, buf, cap, 0, reinterpret_cast<sockaddr*>(peer), &len);
  iovec iov{buf, cap};
  msghdr msg{};
  msg.msg_name = peer;
  msg.msg_namelen = sizeof *peer;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  return recvmsg(fd, &msg, 0);
}

ssize_t reply(int fd, bool use_msg, const char* buf, std::size_t len, const sockaddr_in& peer) {
  if (!use_msg) return sendto(fd, buf, len, 0, reinterpret_cast<const sockaddr*>(&peer), sizeof peer);
  iovec iov{const_cast<char*>(buf), len};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_in*>(&peer);
  msg.msg_namelen = sizeof peer;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  return sendmsg(fd, &msg, 0);
}

int wait_for_child(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const faultline::testing::programs::Args args(argc, argv);
  const bool use_msg = args.text("--api", "recvfrom") == "recvmsg";
  install_handlers();

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = faultline::testing::loopback(static_cast<std::uint16_t>(args.number("--port", 0)));
  socklen_t addr_len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    std::perror("udp_echo: bind");
    return 2;
  }
  const bool nonblocking = args.flag("--nonblocking");
  if (nonblocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::printf("%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  if (args.flag("--fork-on-stdin")) {
    char line[64];
    if (std::fgets(line, sizeof line, stdin) == nullptr) return 2;
    const pid_t child = fork();
    if (child < 0) return 2;
    if (child > 0) {
      g_child = child;
      return wait_for_child(child);
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the parent the test watches
    std::printf("child %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
  }

  unsigned long long received = 0;
  char buf[65536];
  while (g_stop == 0) {
    // Receive only once a datagram is there: the receive call then starts
    // after whatever the test armed before sending (a call already blocked
    // in the kernel when a fault is armed completes unfaulted). The timeout
    // notices a stop request that raced the wait.
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    sockaddr_in peer{};
    const ssize_t n = receive(fd, use_msg, buf, sizeof buf, &peer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      std::perror("udp_echo: receive");
      return 1;
    }
    ++received;
    reply(fd, use_msg, buf, static_cast<std::size_t>(n), peer);
  }
  std::printf("received %llu\n", received);
  std::fflush(stdout);
  return 0;
}
