// The delay line's API and its lines (see delay_line.h). The kernel is
// reached with raw syscalls: this code runs inside the preload's wrappers and
// on the engine thread, and must not re-enter them.
#include "faultline/shim/delay_line.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <new>

#include "delay_internal.h"
#include "faultline/shim/bandwidth_table.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/connection_state.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/fd_table.h"
#include "faultline/shim/plan.h"
#include "faultline/shim/precise_wait.h"
#include "faultline/shim/telemetry_writer.h"

namespace faultline::shim::delay {
namespace detail {

std::atomic<std::uint64_t> g_queued{0}, g_delivered{0}, g_dropped{0};

namespace {

constexpr int kMaxFd = FdTable::kCapacity;
constexpr int kMaxActive = 4096;
constexpr int kMaxWaiters = 64;
constexpr std::size_t kMaxDatagram = 65536;
constexpr std::size_t kStreamChunk = 65536;

constinit std::atomic<Line*> g_by_fd[kMaxFd]{};
constinit std::atomic<int> g_managed{0};  // lines managed for ingress

// The registry: active lines, free lines. Taken after a line's mutex, never before.
std::mutex g_reg_mu;
Line* g_active[kMaxActive];
int g_nactive = 0;
Line* g_free_lines[kMaxActive];
int g_nfree = 0;

struct WaiterSlot {
  std::atomic<int> efd_plus_one{0};
  std::atomic<std::int64_t> deadline{0};
};
constinit WaiterSlot g_waiters[kMaxWaiters]{};
constinit thread_local int t_wait_efd = -1;
constinit thread_local int t_wait_slot = -1;

ssize_t sys_recvmsg(int fd, msghdr* m, int flags) noexcept {
  return syscall(SYS_recvmsg, fd, m, flags);
}
ssize_t sys_sendmsg(int fd, const msghdr* m, int flags) noexcept {
  return syscall(SYS_sendmsg, fd, m, flags);
}

std::size_t iov_total(const iovec* iov, int n) noexcept {
  std::size_t t = 0;
  for (int i = 0; i < n; ++i) t += iov[i].iov_len;
  return t;
}

// Copies up to `n` bytes from `src` into the iovecs starting `skip` bytes in.
std::size_t scatter(const iovec* iov, int iovcnt, std::size_t skip, const unsigned char* src,
                    std::size_t n) noexcept {
  std::size_t copied = 0;
  for (int i = 0; i < iovcnt && copied < n; ++i) {
    std::size_t room = iov[i].iov_len;
    if (skip >= room) {
      skip -= room;
      continue;
    }
    const std::size_t k = std::min(room - skip, n - copied);
    std::memcpy(static_cast<unsigned char*>(iov[i].iov_base) + skip, src + copied, k);
    copied += k;
    skip = 0;
  }
  return copied;
}

void gather(const iovec* iov, int iovcnt, unsigned char* dst, std::size_t n) noexcept {
  std::size_t done = 0;
  for (int i = 0; i < iovcnt && done < n; ++i) {
    const std::size_t k = std::min(iov[i].iov_len, n - done);
    std::memcpy(dst + done, iov[i].iov_base, k);
    done += k;
  }
}

bool telemetry_on() noexcept {
  return (g_mode.load(std::memory_order_relaxed) & kModeTelemetry) != 0;
}

void set_mode_bit(bool on) noexcept {
  if (on)
    g_mode.fetch_or(kModeDelayLine, std::memory_order_release);
  else
    g_mode.fetch_and(~kModeDelayLine, std::memory_order_release);
}

// The line manages ingress no more (l->mu held).
void unmanage(Line* l) noexcept {
  if (!l->in_managed.load(std::memory_order_relaxed)) return;
  l->in_managed.store(false, std::memory_order_relaxed);
  l->watching = false;
  g_managed.fetch_sub(1, std::memory_order_relaxed);
  wake_engine();
}

}  // namespace

Line* line_of(int fd) noexcept {
  if (fd < 0 || fd >= kMaxFd) return nullptr;
  return g_by_fd[fd].load(std::memory_order_acquire);
}

Line* line_create(int fd) noexcept {
  if (fd < 0 || fd >= kMaxFd) return nullptr;
  std::lock_guard<std::mutex> lock(g_reg_mu);
  if (Line* l = g_by_fd[fd].load(std::memory_order_relaxed)) return l;
  Line* l = nullptr;
  if (g_nfree > 0) {
    l = g_free_lines[--g_nfree];
  } else {
    void* mem = mmap(nullptr, sizeof(Line), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return nullptr;
    l = new (mem) Line();
  }
  l->fd = fd;
  l->sock = fd;
  l->closed = false;
  l->in_end = false;
  l->out_error = 0;
  l->watching = false;
  l->out.clear();
  l->in.clear();
  g_by_fd[fd].store(l, std::memory_order_release);
  return l;
}

void activate(Line* l) noexcept {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(g_reg_mu);
    if (!l->active && g_nactive < kMaxActive) {
      l->active = true;
      g_active[g_nactive++] = l;
      set_mode_bit(true);
      wake = true;
    }
  }
  if (wake) wake_engine();
}

int active_snapshot(Line** out, int cap) noexcept {
  std::lock_guard<std::mutex> lock(g_reg_mu);
  const int n = std::min(g_nactive, cap);
  std::copy(g_active, g_active + n, out);
  return n;
}

void retire_if_idle(Line* l) noexcept {
  std::lock_guard<std::mutex> line_lock(l->mu);
  if (!l->out.empty() || l->in_managed.load(std::memory_order_relaxed) || l->poll_in || l->poll_out) return;
  if (l->closed && l->sock >= 0) {
    syscall(SYS_close, l->sock);
    l->sock = -1;
  }
  std::lock_guard<std::mutex> lock(g_reg_mu);
  if (!l->active) return;
  l->active = false;
  for (int i = 0; i < g_nactive; ++i)
    if (g_active[i] == l) {
      g_active[i] = g_active[--g_nactive];
      break;
    }
  if (l->closed && g_nfree < kMaxActive) g_free_lines[g_nfree++] = l;
  if (g_nactive == 0) set_mode_bit(false);
}

void wake_waiters(std::int64_t due) noexcept {
  const std::uint64_t one = 1;
  for (WaiterSlot& w : g_waiters) {
    const int efd = w.efd_plus_one.load(std::memory_order_acquire) - 1;
    if (efd < 0 || w.deadline.load(std::memory_order_relaxed) <= due) continue;
    syscall(SYS_write, efd, &one, sizeof one);
  }
}

namespace {

// Flips one bit of `n` bytes at `p`, chosen by `entropy` (corrupt).
void flip_bit(unsigned char* p, std::size_t n, std::uint64_t entropy) noexcept {
  if (n == 0) return;
  p[entropy % n] ^= static_cast<unsigned char>(1u << ((entropy >> 32) % 8));
}

// A second copy of the datagram `e` just stamped (duplicate), due with it.
void queue_copy(Queue& q, const Entry& e, std::int64_t due) noexcept {
  const std::uint32_t bytes = e.len + e.addr_len;
  Entry* copy = q.push(bytes);
  if (copy == nullptr) return;  // no room: the copy is lost, as a full buffer would lose it
  std::memcpy(q.data(*copy), q.data(e), bytes);
  const std::uint32_t off = copy->off;
  *copy = e;
  copy->off = off;
  copy->hold = 0;
  copy->due = due;
  q.payload_ += e.len;
  g_queued.fetch_add(1, std::memory_order_relaxed);
}

// Queues one received message; `n` bytes are at e's payload already.
// Returns its due time (INT64_MAX when a loss fault dropped it). The data
// faults are decided here, at arrival (delay_line.h).
std::int64_t stamp(Line* l, Entry* e, std::int64_t now, const sockaddr* src, socklen_t src_len,
                   std::size_t n) noexcept {
  SocketInfo call = l->info;
  if (src != nullptr && src_len > 0 && call.datagram != 0) set_peer(call, src, src_len);
  const Verdict v = decide(Op::kRecv, abi::Direction::kIngress, call, n);
  Queue& q = l->in;
  e->stamp = now;
  e->len = static_cast<std::uint32_t>(n);
  q.payload_ += n;
  if (v.drop && call.datagram != 0) {
    q.complete(*e);
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    return INT64_MAX;
  }
  // blackhole: nothing is received. reset: the connection is aborted (the
  // program's receives report it from the descriptor's mark) and what came
  // is gone with it.
  if (v.blackhole || (v.reset && call.datagram == 0)) {
    if (v.reset && l->fd >= 0) {
      conn::abort_connection(l->sock);
      conn::set_reset(l->fd);
    }
    q.complete(*e);
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    return INT64_MAX;
  }
  std::int64_t wait = v.wait_ns();
  if (v.rate_bytes_per_s != 0)
    wait +=
        bandwidth::reserve(l->fd, bandwidth::Way::kIngress, v.rate_bytes_per_s, v.rate_generation, now, n);
  std::int64_t due = now + wait;
  if (call.datagram == 0 || wait == 0) due = std::max(due, q.last_due);
  if (call.datagram != 0) q.count_overtaking(due);
  e->delayed = wait > 0;
  if (call.datagram != 0 && v.reorder_gap > 0) {
    e->hold = v.reorder_gap;  // held: the datagrams after it may pass it
    e->delayed = true;
    ++q.held;
    e->due = due + kReorderHoldNs;
  } else {
    e->due = due;
    q.last_due = std::max(q.last_due, due);
  }
  g_queued.fetch_add(1, std::memory_order_relaxed);
  if (v.duplicate && call.datagram != 0) queue_copy(q, *e, due);
  if (v.corrupt && call.datagram != 0) flip_bit(q.data(*e), n, v.entropy);  // the copy stays intact
  return due;
}

// End of stream or an error, queued behind the data; returns its due time.
std::int64_t queue_end(Line* l, std::int64_t now, int err) noexcept {
  Entry* e = l->in.push(0);
  if (err == 0 || l->info.datagram == 0) {
    l->in_end = true;
    l->watching = false;
  }
  if (e == nullptr) return INT64_MAX;
  e->kind = err == 0 ? EntryKind::kEnd : EntryKind::kError;
  e->err = err;
  e->stamp = now;
  e->due = std::max(now, l->in.last_due);
  return e->due;
}

}  // namespace

void drain(Line* l) noexcept {
  if (!l->in_managed.load(std::memory_order_relaxed) || l->in_end || l->sock < 0) return;
  Queue& q = l->in;
  std::int64_t first_due = INT64_MAX;
  while (q.payload() < kIngressLimitBytes) {
    const std::int64_t now = now_ns();
    if (l->info.datagram != 0) {
      const ssize_t size =
          syscall(SYS_recvfrom, l->sock, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT, nullptr, nullptr);
      if (size < 0) {
        if (errno == EINTR) continue;
        // An asynchronous error (ICMP) is reported once, as the kernel does.
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          first_due = std::min(first_due, queue_end(l, now, errno));
        break;
      }
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(size), kMaxDatagram);
      Entry* e = q.push(static_cast<std::uint32_t>(n + sizeof(sockaddr_storage)));
      if (e == nullptr) break;
      unsigned char* p = q.data(*e);
      iovec iov{p, n};
      msghdr m{};
      m.msg_name = p + n;
      m.msg_namelen = sizeof(sockaddr_storage);
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      const ssize_t r = sys_recvmsg(l->sock, &m, MSG_DONTWAIT);
      if (r < 0) {
        q.unpush();
        if (errno == EINTR) continue;
        break;
      }
      e->addr_len = static_cast<std::uint16_t>(std::min<socklen_t>(m.msg_namelen, sizeof(sockaddr_storage)));
      std::memmove(p + r, p + n, e->addr_len);
      q.shrink_last(static_cast<std::uint32_t>(r) + e->addr_len);
      first_due = std::min(first_due, stamp(l, e, now, reinterpret_cast<const sockaddr*>(p + r), e->addr_len,
                                            static_cast<std::size_t>(r)));
    } else {
      const std::size_t room = std::min(kStreamChunk, kIngressLimitBytes - q.payload());
      Entry* e = q.push(static_cast<std::uint32_t>(room));
      if (e == nullptr) break;
      const ssize_t r = syscall(SYS_recvfrom, l->sock, q.data(*e), room, MSG_DONTWAIT, nullptr, nullptr);
      if (r <= 0) {
        const int err = r == 0 ? 0 : errno;
        q.unpush();
        if (r < 0 && err == EINTR) continue;
        if (r < 0 && (err == EAGAIN || err == EWOULDBLOCK)) break;
        first_due = std::min(first_due, queue_end(l, now, err));
        break;
      }
      q.shrink_last(static_cast<std::uint32_t>(r));
      first_due = std::min(first_due, stamp(l, e, now, nullptr, 0, static_cast<std::size_t>(r)));
      if (static_cast<std::size_t>(r) < room) break;  // the kernel is empty
    }
  }
  if (first_due == INT64_MAX) return;
  l->cv.notify_all();
  wake_waiters(first_due);
}

std::int64_t flush(Line* l, std::int64_t now, bool* blocked) noexcept {
  *blocked = false;
  Queue& q = l->out;
  bool freed = false;
  std::int64_t next = INT64_MAX;
  while (!q.empty()) {
    Entry* e = l->info.datagram != 0 ? q.earliest() : q.oldest();
    if (e->due > now) {
      next = e->due;
      break;
    }
    if (e->kind == EntryKind::kShutdown) {
      syscall(SYS_shutdown, l->sock, e->err);
      q.complete(*e);
      continue;
    }
    unsigned char* p = q.data(*e);
    iovec iov{p + q.partial, e->len - q.partial};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (e->addr_len > 0) {
      m.msg_name = p + e->len;
      m.msg_namelen = e->addr_len;
    }
    // Recorded before the send: a peer that has the message may already look
    // at the telemetry. Once per message, even if the socket is full now.
    if (e->delayed && q.partial == 0) {
      if (telemetry_on()) record(abi::CallClass::kInjectedDelay, now_ns() - e->stamp, 0, 0, true);
      e->delayed = false;
    }
    const ssize_t r = sys_sendmsg(l->sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK || (err == ENOBUFS && l->info.datagram == 0)) {
        *blocked = true;
        break;
      }
      if (l->info.datagram != 0) {  // the datagram is lost, as the kernel would lose it
        q.complete(*e);
        g_dropped.fetch_add(1, std::memory_order_relaxed);
        freed = true;
        continue;
      }
      // The connection is gone: what is queued cannot be delivered.
      l->out_error = err == EPIPE ? EPIPE : err;
      while (Entry* x = q.oldest()) q.complete(*x);
      q.partial = 0;
      freed = true;
      g_dropped.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    freed = true;
    if (l->info.datagram == 0 && q.partial + static_cast<std::size_t>(r) < e->len) {
      q.partial += static_cast<std::uint32_t>(r);
      *blocked = true;  // a short write: the socket buffer is full
      break;
    }
    q.partial = 0;
    q.complete(*e);
    g_delivered.fetch_add(1, std::memory_order_relaxed);
  }
  if (freed) l->cv.notify_all();
  if (freed && q.payload() < kEgressLimitBytes / 2) wake_waiters(INT64_MIN);
  return next;
}

}  // namespace detail

using namespace detail;

bool available() noexcept {
  return engine_start();
}

bool could_delay(abi::Direction dir, const SocketInfo& socket) noexcept {
  const Plan* plan = g_plan.load(std::memory_order_acquire);
  if (plan == nullptr) return false;
  const std::uint64_t version = plan->version.load(std::memory_order_acquire);
  if (version & 1u) return false;
  if (plan->delay_filter.rejects(dir, socket, /*any_peer=*/true)) return false;
  bool found = false;
  const std::uint32_t n = std::min(plan->count, abi::kMaxFaults);
  for (std::uint32_t i = 0; i < n && !found; ++i) {
    if (!held_kind(plan->faults[i].spec.kind)) continue;
    CompiledMatch m = plan->matches[i];
    if (socket.has_peer == 0) {  // any peer may send to an unconnected socket
      m.family = 0;
      m.dst_port = 0;
    }
    found = matches(m, dir, socket);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  return found && plan->version.load(std::memory_order_relaxed) == version;
}

bool egress_pending(int fd) noexcept {
  Line* l = line_of(fd);
  if (l == nullptr) return false;
  std::lock_guard<std::mutex> lock(l->mu);
  return !l->out.empty();
}

ssize_t send(int fd, const SocketInfo& socket, const Outgoing& msg, std::int64_t delay_ns, bool nonblocking,
             std::uint32_t reorder_gap) noexcept {
  if (!available()) return -2;
  const std::size_t total = iov_total(msg.iov, msg.iovcnt);
  if (socket.datagram != 0 && total > kMaxDatagram) return -2;  // the kernel reports EMSGSIZE
  if (msg.addr_len > sizeof(sockaddr_storage)) return -2;
  Line* l = line_create(fd);
  if (l == nullptr) return -2;
  std::unique_lock<std::mutex> lock(l->mu);
  if (l->out.empty()) l->info = socket;
  for (;;) {
    if (l->out_error != 0) {
      errno = l->out_error;
      l->out_error = 0;
      return -1;
    }
    const std::size_t queued = l->out.payload();
    const std::size_t room = queued >= kEgressLimitBytes ? 0 : kEgressLimitBytes - queued;
    std::size_t n =
        socket.datagram != 0 ? (total <= room || l->out.empty() ? total : 0) : std::min(total, room);
    Entry* e = nullptr;
    if (n > 0 || total == 0) e = l->out.push(static_cast<std::uint32_t>(n + msg.addr_len));
    if (e != nullptr) {
      const std::int64_t now = now_ns();
      unsigned char* p = l->out.data(*e);
      gather(msg.iov, msg.iovcnt, p, n);
      if (msg.addr_len > 0) std::memcpy(p + n, msg.addr, msg.addr_len);
      e->len = static_cast<std::uint32_t>(n);
      e->addr_len = static_cast<std::uint16_t>(msg.addr_len);
      e->stamp = now;
      e->delayed = delay_ns > 0;
      std::int64_t due = (msg.from_ns > 0 ? msg.from_ns : now) + std::max<std::int64_t>(delay_ns, 0);
      if (socket.datagram == 0 || delay_ns <= 0) due = std::max(due, l->out.last_due);
      if (socket.datagram != 0) l->out.count_overtaking(due);
      if (socket.datagram != 0 && reorder_gap > 0) {
        // Held: not part of last_due, so the datagrams after it may pass it.
        e->hold = reorder_gap;
        e->delayed = true;
        ++l->out.held;
        due += kReorderHoldNs;
      } else {
        l->out.last_due = std::max(l->out.last_due, due);
      }
      e->due = due;
      l->out.payload_ += n;
      g_queued.fetch_add(1, std::memory_order_relaxed);
      activate(l);
      if (due < g_engine_deadline.load(std::memory_order_seq_cst)) wake_engine();
      return static_cast<ssize_t>(n);
    }
    if (nonblocking) {
      errno = EAGAIN;
      return -1;
    }
    l->cv.wait_for(lock, std::chrono::milliseconds(50));
  }
}

bool ingress_managed(int fd) noexcept {
  Line* l = line_of(fd);
  return l != nullptr && l->in_managed.load(std::memory_order_relaxed);
}

bool any_ingress() noexcept {
  return g_managed.load(std::memory_order_relaxed) > 0;
}

bool manage_ingress(int fd, const SocketInfo& socket) noexcept {
  if (!available()) return false;
  Line* l = line_create(fd);
  if (l == nullptr) return false;
  std::lock_guard<std::mutex> lock(l->mu);
  if (l->in_managed.load(std::memory_order_relaxed)) return true;
  l->info = socket;
  l->in.clear();
  l->in_end = false;
  l->watching = true;
  l->in_managed.store(true, std::memory_order_relaxed);
  g_managed.fetch_add(1, std::memory_order_relaxed);
  activate(l);
  drain(l);
  wake_engine();
  return true;
}

namespace {

// The entry a receive would deliver now, or null; *next its due otherwise.
Entry* deliverable(Line* l, std::int64_t now, std::int64_t* next) noexcept {
  Entry* e = l->info.datagram != 0 ? l->in.earliest() : l->in.oldest();
  if (e == nullptr) return nullptr;
  if (e->due <= now) return e;
  *next = e->due;
  return nullptr;
}

void delivered(Line* l, Entry* e, std::int64_t now) noexcept {
  if (e->delayed && telemetry_on()) record(abi::CallClass::kInjectedDelay, now - e->stamp, 0, 0, true);
  l->in.complete(*e);
  g_delivered.fetch_add(1, std::memory_order_relaxed);
}

ssize_t take(Line* l, Entry* e, const Incoming& in, std::int64_t now) noexcept {
  Queue& q = l->in;
  const bool peek = (in.flags & MSG_PEEK) != 0;
  if (e->kind == EntryKind::kEnd) return 0;
  if (e->kind == EntryKind::kError) {
    const int err = e->err;
    if (!peek) q.complete(*e);
    errno = err;
    return -1;
  }
  const std::size_t want = iov_total(in.iov, in.iovcnt);
  if (l->info.datagram != 0) {
    const unsigned char* p = q.data(*e);
    const std::size_t n = scatter(in.iov, in.iovcnt, 0, p, e->len);
    if (in.addr != nullptr && in.addr_len != nullptr) {
      std::memcpy(in.addr, p + e->len, std::min<socklen_t>(*in.addr_len, e->addr_len));
      *in.addr_len = e->addr_len;
    }
    if (in.msg_flags != nullptr) *in.msg_flags = e->len > n ? MSG_TRUNC : 0;
    const std::size_t len = e->len;
    if (!peek) delivered(l, e, now);
    return static_cast<ssize_t>((in.flags & MSG_TRUNC) != 0 ? len : n);
  }
  // A stream: consecutive due chunks fill the buffer.
  std::size_t copied = 0;
  std::uint32_t partial = q.partial;
  while (e != nullptr && e->due <= now && e->kind == EntryKind::kData && copied < want) {
    const std::size_t k = scatter(in.iov, in.iovcnt, copied, q.data(*e) + partial, e->len - partial);
    copied += k;
    if (partial + k < e->len) {
      if (!peek) q.partial = partial + static_cast<std::uint32_t>(k);
      break;
    }
    Entry* next = q.next_after(e);
    if (!peek) {
      q.partial = 0;
      delivered(l, e, now);
    }
    partial = 0;
    e = next;
  }
  if (in.msg_flags != nullptr) *in.msg_flags = 0;
  if (in.addr_len != nullptr) *in.addr_len = 0;
  return static_cast<ssize_t>(copied);
}

// When a blocking receive on `fd` begun at `now` gives up: its SO_RCVTIMEO,
// or never (INT64_MAX). Preserves errno.
std::int64_t receive_deadline(int fd, std::int64_t now) noexcept {
  timeval tv{};
  socklen_t len = sizeof tv;
  const int saved = errno;
  const int r = getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
  errno = saved;
  if (r != 0 || (tv.tv_sec == 0 && tv.tv_usec == 0)) return INT64_MAX;
  return now + static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 +
         static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

}  // namespace

ssize_t receive(int fd, const Incoming& in, bool nonblocking) noexcept {
  Line* l = line_of(fd);
  if (l == nullptr || !l->in_managed.load(std::memory_order_relaxed)) return -2;
  std::unique_lock<std::mutex> lock(l->mu);
  if (!l->in_managed.load(std::memory_order_relaxed)) return -2;
  std::int64_t deadline = 0;  // the caller's SO_RCVTIMEO (INT64_MAX: none), read when it must wait
  for (;;) {
    drain(l);
    const std::int64_t now = now_ns();
    std::int64_t next = INT64_MAX;
    if (Entry* e = deliverable(l, now, &next)) {
      const int saved = errno;
      const ssize_t r = take(l, e, in, now);
      const int err = errno;
      if (l->in.empty() && !l->in_end && !could_delay(abi::Direction::kIngress, l->info)) unmanage(l);
      errno = r < 0 ? err : saved;
      return r;
    }
    if (l->in.empty() && !could_delay(abi::Direction::kIngress, l->info)) {
      unmanage(l);  // the fault is gone and nothing is held: the kernel again
      return -2;
    }
    if (!nonblocking && deadline == 0) deadline = receive_deadline(fd, now);
    if (nonblocking || now >= deadline) {
      errno = EAGAIN;  // as the kernel's receive reports its SO_RCVTIMEO
      return -1;
    }
    const std::int64_t margin = precise_wait_margin_ns();
    if (next != INT64_MAX && next - now <= margin) {
      lock.unlock();
      wait_until_ns(next);
      lock.lock();
      continue;
    }
    // Woken by the engine when data arrives; at most until the next due time.
    const std::int64_t until = std::min(next == INT64_MAX ? now + 100'000'000 : next - margin, deadline);
    l->cv.wait_for(lock, std::chrono::nanoseconds(until - now));
  }
}

bool readable(int fd, std::int64_t now, std::int64_t* next_due) noexcept {
  Line* l = line_of(fd);
  if (l == nullptr || !l->in_managed.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(l->mu);
  drain(l);
  std::int64_t next = INT64_MAX;
  if (deliverable(l, now, &next) != nullptr) return true;
  if (l->in.empty() && !could_delay(abi::Direction::kIngress, l->info)) {
    unmanage(l);
    return true;  // the kernel decides again: report it, a receive will tell
  }
  *next_due = std::min(*next_due, next);
  return false;
}

bool writable(int fd) noexcept {
  Line* l = line_of(fd);
  if (l == nullptr) return true;
  std::lock_guard<std::mutex> lock(l->mu);
  return l->out.payload() < kEgressLimitBytes;
}

int begin_wait(std::int64_t deadline) noexcept {
  if (t_wait_efd < 0) {
    t_wait_efd = static_cast<int>(syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (t_wait_efd < 0) return -1;
  }
  for (int i = 0; i < kMaxWaiters; ++i) {
    int expected = 0;
    g_waiters[i].deadline.store(deadline, std::memory_order_relaxed);
    if (g_waiters[i].efd_plus_one.compare_exchange_strong(expected, t_wait_efd + 1,
                                                          std::memory_order_acq_rel)) {
      t_wait_slot = i;
      return t_wait_efd;
    }
  }
  return -1;
}

void end_wait() noexcept {
  if (t_wait_slot >= 0) {
    g_waiters[t_wait_slot].efd_plus_one.store(0, std::memory_order_release);
    t_wait_slot = -1;
  }
  std::uint64_t v;
  if (t_wait_efd >= 0) syscall(SYS_read, t_wait_efd, &v, sizeof v);
}

void on_close(int fd) noexcept {
  bandwidth::forget(fd);  // the next connection on this number starts with a full bucket
  Line* l = line_of(fd);
  if (l == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(l->mu);
    if (l->in_managed.load(std::memory_order_relaxed)) {
      l->in_managed.store(false, std::memory_order_relaxed);
      g_managed.fetch_sub(1, std::memory_order_relaxed);
    }
    l->watching = false;
    l->in.clear();
    if (!l->out.empty()) {
      const int dup = static_cast<int>(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0));
      if (dup >= 0) {
        l->sock = dup;
      } else {
        l->out.clear();
        l->sock = -1;
      }
    } else {
      l->sock = -1;
    }
    l->closed = true;
    l->fd = -1;
    {
      std::lock_guard<std::mutex> reg(g_reg_mu);
      g_by_fd[fd].store(nullptr, std::memory_order_release);
      if (!l->active && g_nfree < kMaxActive) g_free_lines[g_nfree++] = l;
    }
  }
  wake_engine();
}

bool shutdown_deferred(int fd, int how) noexcept {
  Line* l = line_of(fd);
  if (l == nullptr) return false;
  std::lock_guard<std::mutex> lock(l->mu);
  if (how == SHUT_RD || how == SHUT_RDWR) {
    l->in.clear();
    if (l->in_managed.load(std::memory_order_relaxed)) unmanage(l);
  }
  if (how == SHUT_RD || l->out.empty()) return false;
  Entry* e = l->out.push(0);
  if (e == nullptr) return false;
  e->kind = EntryKind::kShutdown;
  e->err = how;
  e->stamp = now_ns();
  e->due = std::max(e->stamp, l->out.last_due);
  wake_engine();
  return true;
}

void reset_in_child() noexcept {
  // Only the forking thread exists: no lock is held by anyone else.
  for (auto& slot : g_by_fd) slot.store(nullptr, std::memory_order_relaxed);
  new (&g_reg_mu) std::mutex();
  g_nactive = 0;
  g_nfree = 0;
  g_managed.store(0, std::memory_order_relaxed);
  for (WaiterSlot& w : g_waiters) w.efd_plus_one.store(0, std::memory_order_relaxed);
  t_wait_slot = -1;
  g_mode.fetch_and(~kModeDelayLine, std::memory_order_relaxed);
  engine_reset_in_child();
}

int threads() noexcept {
  return detail::engine_threads();
}

Stats stats() noexcept {
  return Stats{g_queued.load(std::memory_order_relaxed), g_delivered.load(std::memory_order_relaxed),
               g_dropped.load(std::memory_order_relaxed)};
}

}  // namespace faultline::shim::delay
