// TCP echo server for tests: listens on 127.0.0.1 (port 0 = any), prints the
// port as its first stdout line, echoes every connection's bytes back (a
// thread per connection) until SIGTERM/SIGINT, then prints
// "connections N bytes M".
//
//   tcp_echo [--port P] [--api read|recv|readv]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>

#include "args.h"
#include "faultline/testing/loopback.h"

namespace {

volatile sig_atomic_t g_stop = 0;
std::atomic<unsigned long long> g_bytes{0};

void on_signal(int) {
  g_stop = 1;
}

enum class Api { kRead, kRecv, kReadv };

ssize_t receive(int fd, Api api, char* buf, std::size_t cap) {
  switch (api) {
    case Api::kRecv:
      return recv(fd, buf, cap, 0);
    case Api::kReadv: {
      // Two buffers, to exercise the vector path.
      const std::size_t half = cap / 2;
      iovec iov[2] = {{buf, half}, {buf + half, cap - half}};
      return readv(fd, iov, 2);
    }
    case Api::kRead:
      break;
  }
  return read(fd, buf, cap);
}

bool send_all(int fd, Api api, const char* buf, std::size_t len) {
  while (len > 0) {
    ssize_t n;
    if (api == Api::kRecv)
      n = send(fd, buf, len, MSG_NOSIGNAL);
    else if (api == Api::kReadv) {
      iovec iov{const_cast<char*>(buf), len};
      n = writev(fd, &iov, 1);
    } else
      n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

void serve(int fd, Api api) {
  char buf[65536];
  for (;;) {
    const ssize_t n = receive(fd, api, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    g_bytes.fetch_add(static_cast<unsigned long long>(n));
    if (!send_all(fd, api, buf, static_cast<std::size_t>(n))) break;
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  const faultline::testing::programs::Args args(argc, argv);
  const std::string api_name = args.text("--api", "read");
  const Api api = api_name == "recv" ? Api::kRecv : api_name == "readv" ? Api::kReadv : Api::kRead;

  // Connection threads never take the stop signals; the accept loop does.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = faultline::testing::loopback(static_cast<std::uint16_t>(args.number("--port", 0)));
  socklen_t addr_len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    std::perror("tcp_echo: listen");
    return 2;
  }
  timeval tv{0, 200'000};  // accept wakes up now and then to notice a stop request
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::printf("%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  unsigned long long connections = 0;
  while (g_stop == 0) {
    const int conn = accept(fd, nullptr, nullptr);
    if (conn < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      std::perror("tcp_echo: accept");
      return 1;
    }
    ++connections;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval no_timeout{0, 0};  // accepted sockets inherit the listener's
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &no_timeout, sizeof no_timeout);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    std::thread(serve, conn, api).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  std::printf("connections %llu bytes %llu\n", connections, g_bytes.load());
  std::fflush(stdout);
  return 0;
}
