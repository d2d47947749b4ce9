// The delay line's engine: one thread on an io_uring. It keeps a POLLIN on
// every descriptor whose ingress is held (draining the kernel the moment
// data arrives, so arrival is stamped then), a POLLOUT on those whose
// delayed writes found the socket full, a poll on its wake eventfd (other
// threads queue data or change what is watched), and sleeps in
// io_uring_wait_cqe_timeout until the next write is due, less the precise
// wait's margin, then spins to the due time (shim/precise_wait.h): a
// delayed write leaves within microseconds of its due time.
//
// Writes themselves are non-blocking sendmsg calls made by this thread when
// due (a socket that is full waits for its POLLOUT), in due order per
// descriptor. The thread is the shim's own: its calls are never faulted.
//
// After a pause the kernel's send path is cold: on a VM, a loopback UDP
// send after 1 ms or more without one takes 40-50 us against 6 us warm,
// however the sender waited (a thread that spun through the last
// millisecond sends as slowly, and one that sleeps even 100 us after a warm
// send is cold again). So before a write due after a wait longer than
// kWarmAfterNs, the engine wakes kWarmLeadNs earlier than it would, sends
// one datagram to itself on a private loopback socket (and reads it back),
// and spins to the due time, serving completions meanwhile: the write
// leaves warm. The socket lives only in the ring (a registered file, its
// descriptor closed), so the program never sees it nor can close it or
// reuse its number; without it (no loopback in this namespace) the engine
// only waits.
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "delay_internal.h"
#include "faultline/controlplane/cpu_relax.h"
#include "faultline/controlplane/short_slice.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/precise_wait.h"

namespace faultline::shim::delay::detail {

std::atomic<std::int64_t> g_engine_deadline{INT64_MAX};

namespace {

constexpr std::uintptr_t kTagIn = 1, kTagOut = 2, kTagWake = 3, kTagCancel = 0;
constexpr int kSnapshot = 4096;
constexpr std::int64_t kWarmAfterNs = 500'000;
constexpr std::int64_t kWarmLeadNs = 50'000;

// 0 not started, 1 running, 2 unavailable.
constinit std::atomic<int> g_state{0};
std::mutex g_start_mu;
io_uring g_ring;
std::atomic<int> g_wake_fd{-1};  // read by every thread that queues
Line* g_snapshot[kSnapshot];
bool g_warm_socket = false;  // registered file 0: a loopback UDP socket (g_warm_addr)
sockaddr_in g_warm_addr{};
char g_warm_byte[1];

void* as_data(Line* l, std::uintptr_t tag) noexcept {
  return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(l) | tag);
}

io_uring_sqe* sqe() noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&g_ring);
  if (s == nullptr) {
    io_uring_submit(&g_ring);
    s = io_uring_get_sqe(&g_ring);
  }
  return s;
}

void arm_wake() noexcept {
  if (io_uring_sqe* s = sqe()) {
    io_uring_prep_poll_add(s, g_wake_fd.load(std::memory_order_relaxed), POLLIN);
    io_uring_sqe_set_data(s, reinterpret_cast<void*>(kTagWake));
  }
}

// One line's share of a pass (l->mu held): keep its polls right and write
// what is due. Returns when the engine must come back for it.
std::int64_t serve(Line* l, std::int64_t now) noexcept {
  if (l->watching && !l->poll_in && l->sock >= 0) {
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_poll_add(s, l->sock, POLLIN);
      io_uring_sqe_set_data(s, as_data(l, kTagIn));
      l->poll_in = true;
      l->cancel_sent = false;
    }
  } else if (!l->watching && l->poll_in && !l->cancel_sent) {
    // Cancelled so the poll no longer holds the socket open (a closed
    // descriptor must really close) nor drains a descriptor given back.
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_poll_remove(s, reinterpret_cast<__u64>(as_data(l, kTagIn)));
      io_uring_sqe_set_data(s, reinterpret_cast<void*>(kTagCancel));
      l->cancel_sent = true;
    }
  }
  if (l->poll_out || l->out.empty() || l->sock < 0) {
    if (l->sock < 0) l->out.clear();
    return INT64_MAX;
  }
  bool blocked = false;
  const std::int64_t next = flush(l, now, &blocked);
  if (blocked) {
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_poll_add(s, l->sock, POLLOUT);
      io_uring_sqe_set_data(s, as_data(l, kTagOut));
      l->poll_out = true;
    }
    return INT64_MAX;
  }
  return next;
}

// A loopback UDP socket, registered with the ring as fixed file 0; its
// descriptor is closed at once. Not connected: its sends name their
// address, so they take the route lookup an unconnected sender's do.
void open_warm_socket() noexcept {
  const int fd = static_cast<int>(syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd < 0) return;
  g_warm_addr.sin_family = AF_INET;
  g_warm_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof g_warm_addr;
  auto* addr = reinterpret_cast<sockaddr*>(&g_warm_addr);
  if (syscall(SYS_bind, fd, addr, sizeof g_warm_addr) == 0 && syscall(SYS_getsockname, fd, addr, &len) == 0) {
    g_warm_socket = io_uring_register_files(&g_ring, &fd, 1) == 0;
  }
  syscall(SYS_close, fd);
}

// One datagram to itself, then its read (linked: after the send). Neither
// posts a completion when it succeeds: the spin that follows stops at the
// first completion, which is then real work.
void warm_send_path() noexcept {
  static iovec iov{g_warm_byte, sizeof g_warm_byte};
  static msghdr msg{&g_warm_addr, sizeof g_warm_addr, &iov, 1, nullptr, 0, 0};
  io_uring_sqe* send = sqe();
  if (send == nullptr) return;
  io_uring_prep_sendmsg(send, 0, &msg, 0);
  io_uring_sqe_set_flags(send, IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
  io_uring_sqe_set_data(send, reinterpret_cast<void*>(kTagCancel));
  if (io_uring_sqe* recv = sqe()) {
    io_uring_prep_recv(recv, 0, g_warm_byte, sizeof g_warm_byte, MSG_DONTWAIT);
    io_uring_sqe_set_flags(recv, IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS);
    io_uring_sqe_set_data(recv, reinterpret_cast<void*>(kTagCancel));
  }
  io_uring_submit(&g_ring);
}

void complete(io_uring_cqe* cqe) noexcept {
  const auto data = reinterpret_cast<std::uintptr_t>(io_uring_cqe_get_data(cqe));
  const std::uintptr_t tag = data & 3u;
  if (tag == kTagWake) {
    std::uint64_t v;
    syscall(SYS_read, g_wake_fd.load(std::memory_order_relaxed), &v, sizeof v);
    arm_wake();
    return;
  }
  if (tag == kTagCancel) return;
  Line* l = reinterpret_cast<Line*>(data & ~std::uintptr_t{3});
  std::lock_guard<std::mutex> lock(l->mu);
  if (tag == kTagIn) {
    l->poll_in = false;
    if (cqe->res >= 0 && l->watching) drain(l);
  } else {
    l->poll_out = false;
  }
}

void* engine_main(void*) {
  mark_shim_thread();
  cp::request_short_slice();  // short_slice.h: it wakes at due times, and must run then
  // Its timed waits end at their time, not up to 50 us later (a normal
  // thread's default timer slack): the margin it spins then stays small.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  open_warm_socket();
  arm_wake();
  std::int64_t warmed_for = INT64_MAX;  // the due time the path was last warmed for
  for (;;) {
    // "No deadline" while the pass runs: a thread queueing meanwhile wakes
    // the engine, so nothing queued behind a served line is slept past.
    g_engine_deadline.store(INT64_MAX, std::memory_order_seq_cst);
    const int n = active_snapshot(g_snapshot, kSnapshot);
    std::int64_t now = now_ns();
    std::int64_t next = INT64_MAX;
    for (int i = 0; i < n; ++i) {
      Line* l = g_snapshot[i];
      {
        std::lock_guard<std::mutex> lock(l->mu);
        next = std::min(next, serve(l, now));
      }
      retire_if_idle(l);
    }
    g_engine_deadline.store(next, std::memory_order_seq_cst);
    io_uring_submit(&g_ring);
    now = now_ns();
    const std::int64_t margin = precise_wait_margin_ns();
    io_uring_cqe* cqe = nullptr;
    if (next != INT64_MAX && warmed_for == next) {
      // Warmed: spin (a sleep would cool the path again), but not past work.
      while (now_ns() < next && io_uring_cq_ready(&g_ring) == 0) cp::cpu_relax();
      if (io_uring_peek_cqe(&g_ring, &cqe) != 0) continue;
    } else if (next != INT64_MAX && next - now <= margin) {
      wait_until_ns(next);  // the last stretch spins: microsecond delivery
      if (io_uring_peek_cqe(&g_ring, &cqe) != 0) continue;
    } else if (next == INT64_MAX) {
      if (io_uring_wait_cqe(&g_ring, &cqe) != 0) continue;
    } else {
      // A long wait is staged as in precise_wait.h: first to shortly before;
      // after a long one the send path is warmed shortly before the due time.
      const bool staged = next - now > kStagedAboveNs;
      const bool warm = !staged && g_warm_socket && warmed_for != next && next - now > kWarmAfterNs;
      const std::int64_t wake_at = staged ? next - kStageLeadNs : next - margin - (warm ? kWarmLeadNs : 0);
      const std::int64_t wait = wake_at - now;
      __kernel_timespec ts{wait / 1'000'000'000, wait % 1'000'000'000};
      const int rc = io_uring_wait_cqe_timeout(&g_ring, &cqe, &ts);
      // A timed-out short wait teaches the margin how late this machine wakes.
      if (rc == -ETIME && !staged) record_timer_oversleep(now_ns() - wake_at);
      if (rc == -ETIME && warm) {
        warm_send_path();
        warmed_for = next;
      }
      if (rc != 0) continue;
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&g_ring, head, cqe) {
      complete(cqe);
      ++seen;
    }
    io_uring_cq_advance(&g_ring, seen);
  }
  return nullptr;
}

}  // namespace

void wake_engine() noexcept {
  const int fd = g_wake_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  syscall(SYS_write, fd, &one, sizeof one);
}

int engine_threads() noexcept {
  return g_state.load(std::memory_order_acquire) == 1 ? 1 : 0;
}

bool engine_start() noexcept {
  const int state = g_state.load(std::memory_order_acquire);
  if (state != 0) return state == 1;
  std::lock_guard<std::mutex> lock(g_start_mu);
  if (g_state.load(std::memory_order_relaxed) != 0) return g_state.load(std::memory_order_relaxed) == 1;
  const int saved = errno;
  int result = 2;
  // FAULTLINE_DELAY_LINE=0: in-thread waits (the behaviour before the line; comparisons).
  const char* env = getenv("FAULTLINE_DELAY_LINE");
  if (env != nullptr && env[0] == '0') {
    g_state.store(result, std::memory_order_release);
    return false;
  }
  const int wake_fd = static_cast<int>(syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC));
  g_wake_fd.store(wake_fd, std::memory_order_release);
  if (wake_fd >= 0 && io_uring_queue_init(256, &g_ring, 0) == 0) {
    // The thread takes no signal meant for the program.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t thread;
    if (pthread_create(&thread, &attr, &engine_main, nullptr) == 0) result = 1;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (result != 1) io_uring_queue_exit(&g_ring);
  }
  if (result != 1 && wake_fd >= 0) {
    g_wake_fd.store(-1, std::memory_order_release);
    syscall(SYS_close, wake_fd);
  }
  g_state.store(result, std::memory_order_release);
  errno = saved;
  return result == 1;
}

void engine_reset_in_child() noexcept {
  // The ring and the thread belong to the parent; a child starts afresh.
  if (g_state.load(std::memory_order_relaxed) == 1) {
    syscall(SYS_close, g_ring.ring_fd);
    syscall(SYS_close, g_wake_fd.load(std::memory_order_relaxed));
  }
  g_wake_fd.store(-1, std::memory_order_relaxed);
  g_ring = io_uring{};
  g_warm_socket = false;
  g_engine_deadline.store(INT64_MAX, std::memory_order_relaxed);
  new (&g_start_mu) std::mutex();
  g_state.store(0, std::memory_order_relaxed);
}

}  // namespace faultline::shim::delay::detail
