#include "faultline/shim/connection_state.h"

#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "faultline/shim/engine.h"
#include "faultline/shim/plan.h"

namespace faultline::shim::conn {
namespace {

constexpr int kMaxHeld = 64;

struct Held {
  int fd = -1;
  socklen_t len = 0;
  sockaddr_storage addr{};
  PlanStamp stamp{};
};

constinit std::atomic<std::uint8_t> g_marks[kCapacity]{};
constinit std::atomic<std::uint8_t> g_errs[kCapacity]{};
constinit std::atomic<int> g_marked{0};  // descriptors with a mark
constinit std::atomic<int> g_held_count{0};
constinit Held g_held[kMaxHeld]{};
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;

class Lock {
 public:
  Lock() noexcept { pthread_mutex_lock(&g_mutex); }
  ~Lock() { pthread_mutex_unlock(&g_mutex); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
};

bool in_range(int fd) noexcept {
  return fd >= 0 && fd < kCapacity;
}

Held* held_of(int fd) noexcept {
  for (Held& h : g_held)
    if (h.fd == fd) return &h;
  return nullptr;
}

// Replaces the mark of `fd` (mutex held), keeping the count and the mode bit.
void put_mark(int fd, Mark m) noexcept {
  const auto old = static_cast<Mark>(g_marks[fd].load(std::memory_order_relaxed));
  if (old == Mark::kHeldConnect && m != Mark::kHeldConnect) {
    if (Held* h = held_of(fd)) {
      h->fd = -1;
      g_held_count.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  const int delta = (m != Mark::kNone ? 1 : 0) - (old != Mark::kNone ? 1 : 0);
  g_marks[fd].store(static_cast<std::uint8_t>(m), std::memory_order_release);
  const int now = g_marked.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (delta > 0 && now == 1) g_mode.fetch_or(kModeConnections, std::memory_order_release);
  if (delta < 0 && now == 0) g_mode.fetch_and(~kModeConnections, std::memory_order_release);
}

}  // namespace

Mark mark(int fd) noexcept {
  if (!in_range(fd) || g_marked.load(std::memory_order_relaxed) == 0) return Mark::kNone;
  return static_cast<Mark>(g_marks[fd].load(std::memory_order_acquire));
}

bool set_reset(int fd) noexcept {
  if (!in_range(fd)) return false;
  Lock lock;
  put_mark(fd, Mark::kReset);
  return true;
}

bool set_pending_errno(int fd, int err) noexcept {
  if (!in_range(fd) || err <= 0 || err > 255) return false;
  Lock lock;
  g_errs[fd].store(static_cast<std::uint8_t>(err), std::memory_order_relaxed);
  put_mark(fd, Mark::kPendingErrno);
  return true;
}

bool set_held_connect(int fd, const sockaddr* addr, socklen_t len) noexcept {
  if (!in_range(fd) || addr == nullptr || len > sizeof(sockaddr_storage)) return false;
  Lock lock;
  Held* h = held_of(fd);
  if (h == nullptr) h = held_of(-1);
  if (h == nullptr) return false;
  if (h->fd != fd) g_held_count.fetch_add(1, std::memory_order_relaxed);
  h->fd = fd;
  h->len = len;
  std::memcpy(&h->addr, addr, len);
  h->stamp = plan_stamp();
  put_mark(fd, Mark::kHeldConnect);
  return true;
}

int take_pending_errno(int fd) noexcept {
  if (mark(fd) != Mark::kPendingErrno) return 0;
  Lock lock;
  if (static_cast<Mark>(g_marks[fd].load(std::memory_order_relaxed)) != Mark::kPendingErrno) return 0;
  const int err = g_errs[fd].load(std::memory_order_relaxed);
  put_mark(fd, Mark::kNone);
  return err;
}

void clear(int fd) noexcept {
  if (mark(fd) == Mark::kNone) return;
  Lock lock;
  put_mark(fd, Mark::kNone);
}

bool any_held_connect() noexcept {
  return g_held_count.load(std::memory_order_relaxed) > 0;
}

bool held_address(int fd, sockaddr_storage* addr, socklen_t* len) noexcept {
  if (mark(fd) != Mark::kHeldConnect) return false;
  Lock lock;
  const Held* h = held_of(fd);
  if (h == nullptr) return false;
  *addr = h->addr;
  *len = h->len;
  return true;
}

PlanStamp decided_under(int fd) noexcept {
  Lock lock;
  const Held* h = in_range(fd) ? held_of(fd) : nullptr;
  return h != nullptr ? h->stamp : PlanStamp{};
}

void set_decided(int fd, PlanStamp stamp) noexcept {
  Lock lock;
  if (Held* h = in_range(fd) ? held_of(fd) : nullptr) h->stamp = stamp;
}

void abort_connection(int fd) noexcept {
  const int saved = errno;
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  syscall(SYS_connect, fd, &unspec, sizeof unspec);
  errno = saved;
}

void reset_in_child() noexcept {
  pthread_mutex_init(&g_mutex, nullptr);
  if (g_marked.load(std::memory_order_relaxed) == 0) return;
  for (std::atomic<std::uint8_t>& m : g_marks)
    if (m.load(std::memory_order_relaxed) != 0) m.store(0, std::memory_order_relaxed);
  for (Held& h : g_held) h.fd = -1;
  g_marked.store(0, std::memory_order_relaxed);
  g_held_count.store(0, std::memory_order_relaxed);
}

PlanStamp plan_stamp() noexcept {
  const Plan* p = g_plan.load(std::memory_order_acquire);
  return PlanStamp{p, p != nullptr ? p->version.load(std::memory_order_acquire) : 0};
}

}  // namespace faultline::shim::conn
