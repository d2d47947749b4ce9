// Prints what signals and errno look like to a program's blocking receives,
// one line per case, so a test can compare a run under the preload with a
// run without it (and both with libc's documented semantics):
//
//   <api> restart=<0|1> result=<r> errno=<E> handled=<n>
//     a SIGALRM handler interrupts the call while it is blocked in the
//     kernel; the handler sends the datagram (or makes the connection) the
//     call waits for. Without SA_RESTART the call fails with EINTR; with it
//     the call restarts and returns what the handler sent.
//   errno <call> result=<r> errno=<E>
//     errno set to a sentinel before a call that succeeds stays the sentinel.
//
// APIs: recv, recvfrom, recvmsg, read, readv (UDP) and accept (TCP).
//
//   signal_probe signals | signals-single | errno
//
// `signals` sends the signal from a second thread; `signals-single` from a
// child process, so the program stays single-threaded (the preload then
// makes the calls straight to the kernel, preload/src/direct_calls.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "faultline/testing/loopback.h"

namespace {

constexpr int kSentinel = 4242;

int g_wake_fd = -1;
sockaddr_in g_wake_to{};
bool g_wake_connects = false;
volatile sig_atomic_t g_handled = 0;

void on_alarm(int) {
  const int saved = errno;
  g_handled = g_handled + 1;
  if (g_wake_connects)
    connect(g_wake_fd, reinterpret_cast<const sockaddr*>(&g_wake_to), sizeof g_wake_to);
  else
    sendto(g_wake_fd, "w", 1, 0, reinterpret_cast<const sockaddr*>(&g_wake_to), sizeof g_wake_to);
  errno = saved;
}

// Binds `fd` to 127.0.0.1 on a free port and returns the address.
sockaddr_in bound_address(int fd) {
  const std::uint16_t port = faultline::testing::bind_loopback(fd);
  if (port == 0) {
    std::perror("bind");
    std::exit(2);
  }
  return faultline::testing::loopback(port);
}

std::string errno_name(int e) {
  if (e == kSentinel) return "sentinel";
  const char* name = strerrorname_np(e);
  return name != nullptr ? name : std::to_string(e);
}

bool is_blocking_receive(long nr) {
  return nr == SYS_read || nr == SYS_readv || nr == SYS_recvfrom || nr == SYS_recvmsg || nr == SYS_accept ||
         nr == SYS_accept4;
}

struct Interrupter {
  pid_t tid;
  pthread_t thread;
  bool fired = false;
};

// Waits until thread `tid` of process `pid` sleeps inside a receive system
// call (the kernel reports the call's number in /proc only while it blocks
// there). False after five seconds.
bool wait_blocked(pid_t pid, pid_t tid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall";
  for (int i = 0; i < 5000; ++i) {
    char text[64] = {};
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const ssize_t n = read(fd, text, sizeof text - 1);
      close(fd);
      // "running" while the thread is on a CPU; SYS_read is 0, so only a
      // number counts.
      if (n > 0 && text[0] >= '0' && text[0] <= '9' && is_blocking_receive(std::strtol(text, nullptr, 10)))
        return true;
    }
    const timespec ms{0, 1'000'000};
    nanosleep(&ms, nullptr);
  }
  return false;
}

// Thread interrupter: SIGALRM to the blocked thread.
void* interrupt_when_blocked(void* arg) {
  auto* in = static_cast<Interrupter*>(arg);
  if (wait_blocked(getpid(), in->tid)) {
    pthread_kill(in->thread, SIGALRM);
    in->fired = true;
  }
  return nullptr;
}

// Process interrupter: a child that signals its parent's blocked thread and
// exits 0 if it did.
pid_t fork_interrupter(pid_t tid) {
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) _exit(wait_blocked(parent, tid) && syscall(SYS_tgkill, parent, tid, SIGALRM) == 0 ? 0 : 1);
  return child;
}

void install_alarm(bool restart) {
  struct sigaction sa {};
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
}

long blocking_call(const std::string& api, int fd) {
  char buf[64];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (api == "recv") return recv(fd, buf, sizeof buf, 0);
  if (api == "recvfrom") return recvfrom(fd, buf, sizeof buf, 0, nullptr, nullptr);
  if (api == "recvmsg") return recvmsg(fd, &msg, 0);
  if (api == "read") return read(fd, buf, sizeof buf);
  if (api == "readv") return readv(fd, &iov, 1);
  const int conn = accept(fd, nullptr, nullptr);
  if (conn >= 0) close(conn);
  return conn >= 0 ? 0 : -1;  // the descriptor's number is not the point
}

void interrupted_case(const std::string& api, bool restart, bool single_threaded) {
  const bool tcp = api == "accept";
  const int rx = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  const sockaddr_in rx_addr = bound_address(rx);
  if (tcp) listen(rx, 4);
  g_wake_fd = socket(AF_INET, (tcp ? SOCK_STREAM | SOCK_NONBLOCK : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  g_wake_to = rx_addr;
  g_wake_connects = tcp;
  g_handled = 0;
  install_alarm(restart);

  Interrupter in{static_cast<pid_t>(syscall(SYS_gettid)), pthread_self()};
  pthread_t helper{};
  pid_t child = -1;
  if (single_threaded)
    child = fork_interrupter(in.tid);
  else
    pthread_create(&helper, nullptr, interrupt_when_blocked, &in);
  errno = kSentinel;
  const long result = blocking_call(api, rx);
  const int e = errno;
  if (single_threaded) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    in.fired = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  } else {
    pthread_join(helper, nullptr);
  }
  std::printf("%s restart=%d result=%ld errno=%s handled=%d%s\n", api.c_str(), restart ? 1 : 0, result,
              errno_name(e).c_str(), static_cast<int>(g_handled), in.fired ? "" : " (never blocked)");
  close(g_wake_fd);
  close(rx);
}

void errno_case(const char* name, long result) {
  const int e = errno;
  std::printf("errno %s result=%ld errno=%s\n", name, result, errno_name(e).c_str());
}

// Successful calls through every interposed entry point, errno set to a
// sentinel before each.
void errno_cases() {
  char buf[16] = "faultline";
  errno = kSentinel;
  const int a = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  errno_case("socket", a >= 0 ? 0 : -1);
  const sockaddr_in a_addr = bound_address(a);
  const int b = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const sockaddr_in b_addr = bound_address(b);
  errno = kSentinel;
  errno_case("connect", connect(b, reinterpret_cast<const sockaddr*>(&a_addr), sizeof a_addr));
  errno = kSentinel;
  errno_case("send", send(b, buf, 4, 0));
  errno = kSentinel;
  errno_case("recv", recv(a, buf, sizeof buf, 0));
  errno = kSentinel;
  errno_case("sendto", sendto(a, buf, 5, 0, reinterpret_cast<const sockaddr*>(&b_addr), sizeof b_addr));
  errno = kSentinel;
  errno_case("read", read(b, buf, sizeof buf));
  iovec iov{buf, 6};
  errno = kSentinel;
  errno_case("writev", writev(b, &iov, 1));
  iov.iov_len = sizeof buf;
  errno = kSentinel;
  errno_case("readv", readv(a, &iov, 1));
  int pipe_fds[2];
  if (pipe(pipe_fds) == 0) {
    errno = kSentinel;
    errno_case("write(pipe)", write(pipe_fds[1], buf, 3));
    errno = kSentinel;
    errno_case("read(pipe)", read(pipe_fds[0], buf, sizeof buf));
    errno = kSentinel;
    errno_case("dup2", dup2(pipe_fds[0], 40) == 40 ? 0 : -1);
    errno = kSentinel;
    errno_case("dup3", dup3(pipe_fds[1], 41, O_CLOEXEC) == 41 ? 0 : -1);
    errno = kSentinel;
    errno_case("close(dup)", close(40) + close(41));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
  errno = kSentinel;
  errno_case("close(socket)", close(a) + close(b));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "signals" || mode == "signals-single") {
    for (const char* api : {"recv", "recvfrom", "recvmsg", "read", "readv", "accept"})
      for (const bool restart : {false, true}) interrupted_case(api, restart, mode == "signals-single");
    return 0;
  }
  if (mode == "errno") {
    errno_cases();
    return 0;
  }
  std::fprintf(stderr, "usage: signal_probe signals|signals-single|errno\n");
  return 2;
}
