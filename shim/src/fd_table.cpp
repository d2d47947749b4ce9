#include "faultline/shim/fd_table.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>

#include "faultline/controlplane/cpu_relax.h"

namespace faultline::shim {

constinit FdTable g_fd_table;

namespace {

class ErrnoKeeper {
 public:
  ErrnoKeeper() noexcept : saved_(errno) {}
  ~ErrnoKeeper() { errno = saved_; }
  ErrnoKeeper(const ErrnoKeeper&) = delete;
  ErrnoKeeper& operator=(const ErrnoKeeper&) = delete;

 private:
  int saved_;
};

std::uint16_t port_of(const sockaddr_storage& ss) noexcept {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

std::uint8_t proto_of(int family, int type, int protocol) noexcept {
  if (family == AF_UNIX) return static_cast<std::uint8_t>(abi::Proto::kUnix);
  if (family != AF_INET && family != AF_INET6) return static_cast<std::uint8_t>(abi::Proto::kAny);
  if (type == SOCK_STREAM && (protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP))
    return static_cast<std::uint8_t>(abi::Proto::kTcp);
  if (type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE))
    return static_cast<std::uint8_t>(abi::Proto::kUdp);
  return static_cast<std::uint8_t>(abi::Proto::kAny);
}

}  // namespace

bool FdTable::probe(int fd, SocketInfo* out, bool* complete) noexcept {
  ErrnoKeeper keep;
  *complete = false;
  *out = SocketInfo{};
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  if (!S_ISSOCK(st.st_mode)) {
    *complete = true;
    return false;
  }
  int type = 0, protocol = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return false;
  len = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) return false;
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;

  out->inode = static_cast<std::uint64_t>(st.st_ino);
  out->proto = proto_of(local.ss_family, type, protocol);
  out->datagram = type == SOCK_DGRAM ? 1 : 0;
  out->local_port = port_of(local);

  sockaddr_storage peer{};
  socklen_t peer_len = sizeof peer;
  const bool connected = getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0;
  if (connected) set_peer(*out, reinterpret_cast<const sockaddr*>(&peer), peer_len);
  // A stream socket may learn its peer later (connect in progress): ask again
  // next time rather than cache "no peer". A listener never has one.
  bool complete_without_peer =
      type == SOCK_DGRAM || (local.ss_family != AF_INET && local.ss_family != AF_INET6);
  if (!connected && !complete_without_peer) {
    int listening = 0;
    len = sizeof listening;
    complete_without_peer =
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0;
  }
  *complete = connected || complete_without_peer;
  return true;
}

bool FdTable::same_socket(int fd, const SocketInfo& info) noexcept {
  ErrnoKeeper keep;
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && static_cast<std::uint64_t>(st.st_ino) == info.inode;
}

void FdTable::write_entry(Entry& e, std::uint32_t seen_seq, std::uint32_t tag,
                          const SocketInfo& info) noexcept {
  // Only if nobody wrote or invalidated since `seen_seq` was read before the
  // probe: an invalidation in between means the facts may be stale.
  std::uint32_t expected = seen_seq;
  if (!e.seq.compare_exchange_strong(expected, seen_seq + 1, std::memory_order_acquire,
                                     std::memory_order_relaxed))
    return;
  std::uint64_t w[4];
  std::memcpy(w, &info, sizeof w);
  e.tag.store(tag, std::memory_order_relaxed);
  for (int i = 0; i < 4; ++i) e.words[i].store(w[i], std::memory_order_relaxed);
  e.seq.store(seen_seq + 2, std::memory_order_release);
}

bool FdTable::lookup_uncached(int fd, SocketInfo* out) noexcept {
  Entry& e = entries_[fd];
  const std::uint32_t epoch = epoch_.load(std::memory_order_acquire);
  const std::uint32_t seen = e.seq.load(std::memory_order_acquire);
  bool complete = false;
  const bool socket = probe(fd, out, &complete);
  if (complete && (seen & 1u) == 0) {
    const std::uint32_t tag = ((epoch & 0x3fffffffu) << 2) | (socket ? kSocket : kNotSocket);
    write_entry(e, seen, tag, socket ? *out : SocketInfo{});
  }
  return socket;
}

void FdTable::invalidate(int fd) noexcept {
  if (fd < 0 || fd >= kCapacity) return;
  Entry& e = entries_[fd];
  std::uint32_t s = e.seq.load(std::memory_order_relaxed);
  for (;;) {
    if (s & 1u) {
      // A writer is between its two stores (a handful of instructions).
      cp::cpu_relax();
      s = e.seq.load(std::memory_order_relaxed);
      continue;
    }
    if (e.seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed)) break;
  }
  e.tag.store(0, std::memory_order_relaxed);
  e.seq.store(s + 2, std::memory_order_release);
}

}  // namespace faultline::shim
