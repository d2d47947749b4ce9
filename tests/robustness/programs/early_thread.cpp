#include "early_thread.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "faultline/testing/loopback.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<std::uint64_t> g_rounds{0}, g_failures{0};
bool g_first_io_before_segment = false;
pthread_t g_thread;
bool g_started = false;

bool segment_exists() {
  struct stat st {};
  return stat(("/dev/shm/faultline." + std::to_string(getpid())).c_str(), &st) == 0;
}

// Two connected loopback UDP sockets, made before the preload started, so
// its descriptor cache has never seen them.
struct Pair {
  int a = -1, b = -1;
};

Pair make_pair() {
  Pair p;
  p.a = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  p.b = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = faultline::testing::loopback(faultline::testing::bind_loopback(p.a));
  sockaddr_in b = faultline::testing::loopback(faultline::testing::bind_loopback(p.b));
  connect(p.a, reinterpret_cast<sockaddr*>(&b), sizeof b);
  connect(p.b, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return p;
}

void* round_trips(void*) {
  const Pair p = make_pair();
  for (std::uint64_t token = 1; !g_stop.load(std::memory_order_relaxed); ++token) {
    if (token == 1) g_first_io_before_segment = !segment_exists();
    std::uint64_t got = 0, back = 0;
    const bool ok = send(p.a, &token, sizeof token, 0) == sizeof token &&
                    recv(p.b, &got, sizeof got, 0) == sizeof got && got == token &&
                    send(p.b, &got, sizeof got, 0) == sizeof got &&
                    read(p.a, &back, sizeof back) == sizeof back && back == token;
    if (!ok) g_failures.fetch_add(1);
    g_rounds.fetch_add(1, std::memory_order_release);
    const timespec pause{0, 200'000};
    nanosleep(&pause, nullptr);
  }
  close(p.a);
  close(p.b);
  return nullptr;
}

// The constructor returns only after the first round trip, so that I/O
// happened before any later constructor ran.
__attribute__((constructor)) void start_early_thread() {
  if (pthread_create(&g_thread, nullptr, round_trips, nullptr) != 0) return;
  g_started = true;
  for (int i = 0; i < 5000 && g_rounds.load(std::memory_order_acquire) == 0; ++i) {
    const timespec ms{0, 1'000'000};
    nanosleep(&ms, nullptr);
  }
}

}  // namespace

EarlyThreadReport early_thread_report() {
  return {g_first_io_before_segment, g_rounds.load(std::memory_order_acquire), g_failures.load()};
}

void early_thread_stop() {
  if (!g_started) return;
  g_stop = true;
  pthread_join(g_thread, nullptr);
  g_started = false;
}
