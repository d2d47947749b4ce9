// conn_peer: a scripted socket program for the connection-fault tests, run
// under the preload. One command per stdin line, one answer line per
// command on stdout ("ready" first). It holds one listener and one current
// connection (the last one connected or accepted). Errors answer
// "<command> err <ERRNO NAME>".
//
//   listen [nb]                 listener on 127.0.0.1:0 (non-blocking: nb) -> "port N"
//   accept                      -> "accept ok"
//   connect PORT [nb] [sndtimeo MS]
//                               new TCP socket connected to 127.0.0.1:PORT -> "connect ok MS" (elapsed)
//   udp PORT                    new UDP socket connected to 127.0.0.1:PORT -> "udp ok"
//   send N [nosignal]           N bytes -> "send R"
//   recv [nb] [timeout MS]      -> "recv R" | "recv eof"
//   sendmmsg                    a batch of two 3-byte messages (MSG_NOSIGNAL) -> "sendmmsg N" (messages)
//   recvmmsg                    a batch of up to two messages (MSG_DONTWAIT) -> "recvmmsg N"
//   poll in|out MS              -> "poll REVENTS" (hex; 0 on timeout)
//   epoll in|out MS             -> "epoll EVENTS" (hex; 0 on timeout)
//   select in|out MS            -> "select N"
//   sockerr                     SO_ERROR -> "sockerr NAME" (0: "sockerr 0")
//   sigpipes                    SIGPIPEs received so far -> "sigpipes N"
//   close                       closes the current connection -> "closed"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "faultline/testing/loopback.h"

namespace {

using faultline::testing::loopback;

volatile sig_atomic_t g_sigpipes = 0;

void on_sigpipe(int) {
  g_sigpipes = g_sigpipes + 1;
}

std::int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

const char* errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "?";
}

void answer(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void answer(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stdout, fmt, ap);
  va_end(ap);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool has(const std::vector<std::string>& w, const char* word) {
  for (const std::string& s : w)
    if (s == word) return true;
  return false;
}

long after(const std::vector<std::string>& w, const char* word, long fallback) {
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    if (w[i] == word) return std::strtol(w[i + 1].c_str(), nullptr, 10);
  return fallback;
}

void set_nonblocking(int fd, bool on) {
  const int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

}  // namespace

int main() {
  struct sigaction sa {};
  sa.sa_handler = on_sigpipe;
  sigaction(SIGPIPE, &sa, nullptr);
  int listener = -1;
  int conn = -1;
  std::vector<char> buf(1 << 16, 'x');
  answer("ready");
  char raw[256];
  while (std::fgets(raw, sizeof raw, stdin) != nullptr) {
    std::string line(raw);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const std::vector<std::string> w = words(line);
    if (w.empty()) continue;
    const std::string& cmd = w[0];
    if (cmd == "listen") {
      listener = socket(AF_INET, SOCK_STREAM, 0);
      const std::uint16_t port = faultline::testing::bind_loopback(listener);
      listen(listener, 16);
      if (has(w, "nb")) set_nonblocking(listener, true);
      answer("port %d", port);
    } else if (cmd == "accept") {
      const int c = accept(listener, nullptr, nullptr);
      if (c < 0) {
        answer("accept err %s", errno_name(errno));
      } else {
        conn = c;
        answer("accept ok");
      }
    } else if (cmd == "connect" || cmd == "udp") {
      const bool udp = cmd == "udp";
      conn = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
      if (has(w, "nb")) set_nonblocking(conn, true);
      const long timeout_ms = after(w, "sndtimeo", 0);
      if (timeout_ms > 0) {
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      }
      const sockaddr_in a =
          loopback(static_cast<std::uint16_t>(std::atoi(w.size() > 1 ? w[1].c_str() : "0")));
      const std::int64_t t0 = now_ms();
      const int r = connect(conn, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      const int e = errno;
      const long elapsed = static_cast<long>(now_ms() - t0);
      if (r != 0)
        answer("%s err %s %ld", cmd.c_str(), errno_name(e), elapsed);
      else
        answer("%s ok %ld", cmd.c_str(), elapsed);
    } else if (cmd == "send") {
      const std::size_t n = static_cast<std::size_t>(std::atol(w.size() > 1 ? w[1].c_str() : "1"));
      const ssize_t r =
          send(conn, buf.data(), n < buf.size() ? n : buf.size(), has(w, "nosignal") ? MSG_NOSIGNAL : 0);
      if (r < 0)
        answer("send err %s", errno_name(errno));
      else
        answer("send %zd", r);
    } else if (cmd == "recv") {
      const long timeout_ms = after(w, "timeout", 0);
      if (timeout_ms > 0) {
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      }
      const ssize_t r = recv(conn, buf.data(), buf.size(), has(w, "nb") ? MSG_DONTWAIT : 0);
      if (r < 0)
        answer("recv err %s", errno_name(errno));
      else if (r == 0)
        answer("recv eof");
      else
        answer("recv %zd", r);
    } else if (cmd == "sendmmsg" || cmd == "recvmmsg") {
      iovec iov[2] = {{buf.data(), 3}, {buf.data() + 3, 3}};
      mmsghdr msgs[2]{};
      for (int i = 0; i < 2; ++i) {
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int r = cmd == "sendmmsg" ? sendmmsg(conn, msgs, 2, MSG_NOSIGNAL)
                                      : recvmmsg(conn, msgs, 2, MSG_DONTWAIT, nullptr);
      if (r < 0)
        answer("%s err %s", cmd.c_str(), errno_name(errno));
      else
        answer("%s %d", cmd.c_str(), r);
    } else if (cmd == "poll" || cmd == "epoll" || cmd == "select") {
      const bool out = w.size() > 1 && w[1] == "out";
      const int ms = static_cast<int>(after(w, w.size() > 1 ? w[1].c_str() : "", 0));
      if (cmd == "poll") {
        pollfd p{conn, static_cast<short>(out ? POLLOUT : POLLIN), 0};
        const int r = poll(&p, 1, ms);
        answer("poll %x", r > 0 ? static_cast<unsigned>(p.revents) : 0u);
      } else if (cmd == "epoll") {
        const int ep = epoll_create1(EPOLL_CLOEXEC);
        epoll_event ev{};
        ev.events = out ? EPOLLOUT : EPOLLIN;
        ev.data.fd = conn;
        epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev);
        epoll_event got{};
        const int r = epoll_wait(ep, &got, 1, ms);
        close(ep);
        answer("epoll %x", r > 0 ? got.events : 0u);
      } else {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(conn, &set);
        timeval tv{ms / 1000, (ms % 1000) * 1000};
        const int r = select(conn + 1, out ? nullptr : &set, out ? &set : nullptr, nullptr, &tv);
        answer("select %d", r);
      }
    } else if (cmd == "sockerr") {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(conn, SOL_SOCKET, SO_ERROR, &err, &len);
      answer("sockerr %s", err == 0 ? "0" : errno_name(err));
    } else if (cmd == "sigpipes") {
      answer("sigpipes %d", static_cast<int>(g_sigpipes));
    } else if (cmd == "close") {
      close(conn);
      conn = -1;
      answer("closed");
    } else {
      answer("unknown %s", cmd.c_str());
    }
  }
  return 0;
}
