// Thread cancellation as a program sees it, one line per case, so a test
// can compare a run under the preload with a run without it. The preload
// makes the cancellable calls straight to the kernel while the program has
// no thread of its own and must give them back to libc, which acts on
// cancellation, before a cancel can matter:
//
//   cancel_probe self     a single-threaded program cancels itself, then
//                         reads a pipe that holds data: the read is the
//                         cancellation point ("cancelled in read"); exit 0.
//   cancel_probe threads  a thread the program started blocks in recv,
//                         poll or accept; pthread_cancel ends it there
//                         ("<call> cancelled"); exit 0 if all were.
//   cancel_probe exit-main  the main thread, the program's only one, ends
//                         with pthread_exit: glibc ends the process with
//                         exit(0), atexit handlers run; the shim's threads
//                         must not keep it alive.
//   cancel_probe exit-main-worker  the same, with a worker thread that
//                         outlives the main thread and then returns.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "faultline/testing/loopback.h"

namespace {

void on_self_cancel(void*) {
  std::printf("cancelled in read\n");
  std::fflush(stdout);
  _exit(0);  // the main thread is ending: the process ends here, whatever else runs
}

int self_cancel() {
  int fds[2];
  if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1) return 2;
  char c = 0;
  long got = 0;
  pthread_cleanup_push(on_self_cancel, nullptr);
  pthread_cancel(pthread_self());
  got = read(fds[0], &c, 1);
  pthread_cleanup_pop(0);
  std::printf("read returned %ld, not cancelled\n", got);
  return 1;
}

struct Blocker {
  std::string call;
  int fd = -1;
  pid_t tid = 0;
};

void* block(void* arg) {
  auto* b = static_cast<Blocker*>(arg);
  b->tid = static_cast<pid_t>(syscall(SYS_gettid));
  char buf[16];
  if (b->call == "recv") {
    recv(b->fd, buf, sizeof buf, 0);
  } else if (b->call == "poll") {
    pollfd p{b->fd, POLLIN, 0};
    poll(&p, 1, -1);
  } else {
    accept(b->fd, nullptr, nullptr);
  }
  return nullptr;  // only reached if the call returned: not cancelled
}

// True once thread `tid` sleeps inside a system call (/proc shows its
// number only then); gives up after five seconds.
bool wait_blocked(const Blocker& b) {
  for (int i = 0; i < 5000; ++i) {
    if (b.tid != 0) {
      const std::string path = "/proc/self/task/" + std::to_string(b.tid) + "/syscall";
      char text[64] = {};
      const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        const ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n > 0 && text[0] >= '0' && text[0] <= '9') return true;
      }
    }
    const timespec ms{0, 1'000'000};
    nanosleep(&ms, nullptr);
  }
  return false;
}

bool cancel_blocked(const std::string& call) {
  const bool tcp = call == "accept";
  Blocker b;
  b.call = call;
  b.fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  faultline::testing::bind_loopback(b.fd);
  if (tcp) listen(b.fd, 4);
  pthread_t thread;
  if (pthread_create(&thread, nullptr, block, &b) != 0) return false;
  const bool blocked = wait_blocked(b);
  pthread_cancel(thread);
  timespec deadline{};
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  void* result = nullptr;
  const int joined = pthread_timedjoin_np(thread, &result, &deadline);
  const bool cancelled = blocked && joined == 0 && result == PTHREAD_CANCELED;
  std::printf("%s %s\n", call.c_str(),
              cancelled ? "cancelled" : (joined == 0 ? "returned" : "still blocked"));
  if (joined == 0) close(b.fd);
  return cancelled;
}

void at_exit() {
  std::printf("atexit ran\n");
}

void* worker(void*) {
  const timespec pause{0, 100'000'000};
  nanosleep(&pause, nullptr);
  std::printf("worker returns\n");
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "self") return self_cancel();
  if (mode == "exit-main" || mode == "exit-main-worker") {
    std::atexit(at_exit);
    pthread_t thread;
    if (mode == "exit-main-worker" && pthread_create(&thread, nullptr, worker, nullptr) != 0) return 2;
    std::printf("main thread exits\n");
    pthread_exit(nullptr);
  }
  if (mode == "threads") {
    bool all = true;
    for (const char* call : {"recv", "poll", "accept"}) all = cancel_blocked(call) && all;
    return all ? 0 : 1;
  }
  std::fprintf(stderr, "usage: cancel_probe self|threads|exit-main|exit-main-worker\n");
  return 2;
}
