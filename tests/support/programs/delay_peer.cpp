// delay_peer: the delay line's test programs, run under the preload.
//
//   delay_peer --mode echo-tcp
//       epoll event loop over non-blocking TCP connections echoing what
//       they read. Port on stdout line 1; serves until SIGTERM, then prints
//       "connections N bytes M".
//   delay_peer --mode recv-udp --loop epoll|poll|select|blocking --count N
//       receives N datagrams (each starts with the sender's CLOCK_MONOTONIC
//       send time, 8 bytes) on a non-blocking socket with the given
//       readiness loop, or a blocking one; port on line 1, then one JSON
//       line: received, lateness (receive time minus send time) min/p50/max
//       in ns, readiness reports that found nothing to read ("spurious").
//       With --wait-stdin it starts receiving after a line on stdin.
//   delay_peer --mode flood-tcp --port P
//       connects a non-blocking TCP socket, waits for a line on stdin, writes
//       4 KiB chunks until EAGAIN, prints "accepted N", then closes the
//       socket with whatever is still queued and prints "closed"; exits at
//       the next stdin line.
//   delay_peer --mode send-udp --port P
//       for each stdin line "send N", sends N datagrams numbered from where
//       the last left off (4-byte counter) to 127.0.0.1:P, prints "sent K";
//       for "sockets", prints "sockets K": the sockets among its descriptors.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "faultline/testing/loopback.h"

namespace {

using faultline::testing::loopback;

using faultline::testing::programs::Args;

volatile sig_atomic_t g_stop = 0;

void on_term(int) {
  g_stop = 1;
}

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A stream socket listens before its port is printed: a peer that reads the
// port may connect at once.
int bound_socket(int type) {
  const int fd = socket(AF_INET, type, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::uint16_t port = faultline::testing::bind_loopback(fd);
  if (port == 0) {
    std::perror("delay_peer: bind");
    std::exit(1);
  }
  if (type == SOCK_STREAM) listen(fd, 128);
  std::printf("%u\n", port);
  std::fflush(stdout);
  return fd;
}

int echo_tcp() {
  const int listener = bound_socket(SOCK_STREAM);
  set_nonblocking(listener);
  const int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = listener}};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  unsigned long long connections = 0, bytes = 0;
  std::vector<char> buf(65536);
  epoll_event events[64];
  while (g_stop == 0) {
    const int n = epoll_wait(ep, events, 64, 200);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (int c; (c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          epoll_event cev{EPOLLIN, {.fd = c}};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          ++connections;
        }
        continue;
      }
      for (;;) {
        const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          bytes += static_cast<unsigned long long>(r);
          std::size_t off = 0;
          while (off < static_cast<std::size_t>(r)) {  // replies are small: the queue has room
            const ssize_t w = send(fd, buf.data() + off, static_cast<std::size_t>(r) - off, MSG_NOSIGNAL);
            if (w > 0) {
              off += static_cast<std::size_t>(w);
            } else if (errno == EAGAIN) {
              pollfd p{fd, POLLOUT, 0};
              poll(&p, 1, 100);
            } else {
              break;
            }
          }
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
        }
        break;
      }
    }
  }
  std::printf("connections %llu bytes %llu\n", connections, bytes);
  return 0;
}

struct Receiver {
  int fd;
  long want;
  std::vector<std::int64_t> lateness;
  long spurious = 0;

  // Reads what is there; false once `want` datagrams arrived.
  bool drain(bool blocking) {
    for (;;) {
      char buf[2048];
      const ssize_t r = recv(fd, buf, sizeof buf, 0);
      const std::int64_t t = now_ns();
      if (r < 0) {
        if (errno == EINTR) continue;
        return true;
      }
      if (r >= 8) {
        std::int64_t sent;
        std::memcpy(&sent, buf, sizeof sent);
        lateness.push_back(t - sent);
      }
      if (static_cast<long>(lateness.size()) >= want) return false;
      if (blocking) return true;
    }
  }
  bool readable_then_drain() {
    const std::size_t before = lateness.size();
    const bool more = drain(false);
    if (lateness.size() == before) ++spurious;
    return more;
  }
};

int recv_udp(const std::string& loop, long count, bool wait_stdin) {
  const int fd = bound_socket(SOCK_DGRAM);
  char line[64];
  if (wait_stdin && std::fgets(line, sizeof line, stdin) == nullptr) return 2;
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const bool blocking = loop == "blocking";
  if (!blocking) set_nonblocking(fd);
  Receiver rx{fd, count, {}, 0};
  rx.lateness.reserve(static_cast<std::size_t>(count));
  const int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = fd}};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  bool more = true;
  while (more && g_stop == 0) {
    if (blocking) {
      more = rx.drain(true);
    } else if (loop == "epoll") {
      epoll_event out[4];
      if (epoll_wait(ep, out, 4, 200) > 0) more = rx.readable_then_drain();
    } else if (loop == "poll") {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 200) > 0 && (p.revents & POLLIN) != 0) more = rx.readable_then_drain();
    } else {
      fd_set r;
      FD_ZERO(&r);
      FD_SET(fd, &r);
      timeval tv{0, 200'000};
      if (select(fd + 1, &r, nullptr, nullptr, &tv) > 0 && FD_ISSET(fd, &r)) more = rx.readable_then_drain();
    }
  }
  std::vector<std::int64_t> l = rx.lateness;
  std::sort(l.begin(), l.end());
  const auto at = [&](std::size_t i) { return l.empty() ? 0 : l[std::min(i, l.size() - 1)]; };
  std::printf("{\"received\":%zu,\"min_ns\":%lld,\"p50_ns\":%lld,\"max_ns\":%lld,\"spurious\":%ld}\n",
              l.size(), static_cast<long long>(at(0)), static_cast<long long>(at(l.size() / 2)),
              static_cast<long long>(at(l.size() - 1)), rx.spurious);
  std::fflush(stdout);
  return 0;
}

int flood_tcp(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("delay_peer: connect");
    return 1;
  }
  set_nonblocking(fd);
  std::printf("connected\n");
  std::fflush(stdout);
  char line[64];
  if (std::fgets(line, sizeof line, stdin) == nullptr) return 2;
  std::vector<unsigned char> chunk(4096);
  unsigned long long accepted = 0;
  for (;;) {
    for (std::size_t i = 0; i < chunk.size(); ++i)
      chunk[i] = static_cast<unsigned char>((accepted + i) & 0xff);
    const ssize_t w = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      std::perror("delay_peer: send");
      return 1;
    }
    accepted += static_cast<unsigned long long>(w);
  }
  std::printf("accepted %llu\n", accepted);
  std::fflush(stdout);
  close(fd);
  std::printf("closed\n");
  std::fflush(stdout);
  if (std::fgets(line, sizeof line, stdin) == nullptr) return 0;  // stay alive until told
  return 0;
}

// The sockets among this process's descriptors (/proc/self/fd links "socket:[inode]").
int count_sockets() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int sockets = 0;
  while (const dirent* e = readdir(dir)) {
    char target[64];
    const ssize_t n = readlinkat(dirfd(dir), e->d_name, target, sizeof target - 1);
    if (n > 0 && std::strncmp(target, "socket:", 7) == 0) ++sockets;
  }
  closedir(dir);
  return sockets;
}

int send_udp(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(port);
  std::printf("ready\n");
  std::fflush(stdout);
  std::uint32_t next = 0;
  char line[64];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    long n = 0;
    if (std::strncmp(line, "sockets", 7) == 0) {
      std::printf("sockets %d\n", count_sockets());
      std::fflush(stdout);
      continue;
    }
    if (std::sscanf(line, "send %ld", &n) != 1) continue;
    for (long i = 0; i < n; ++i, ++next)
      sendto(fd, &next, sizeof next, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    std::printf("sent %u\n", next);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, nullptr);
  const std::string mode = args.text("--mode", "");
  if (mode == "echo-tcp") return echo_tcp();
  if (mode == "recv-udp")
    return recv_udp(args.text("--loop", "epoll"), args.number("--count", 100), args.flag("--wait-stdin"));
  if (mode == "flood-tcp") return flood_tcp(static_cast<std::uint16_t>(args.number("--port", 0)));
  if (mode == "send-udp") return send_udp(static_cast<std::uint16_t>(args.number("--port", 0)));
  std::fprintf(stderr, "delay_peer: --mode echo-tcp|recv-udp|flood-tcp|send-udp\n");
  return 2;
}
