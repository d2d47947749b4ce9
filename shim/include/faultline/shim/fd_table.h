// Per-descriptor cache of what the engine needs to know about a socket
// (SocketInfo), filled lazily on the armed path with a few syscalls the first
// time a descriptor is seen, so later calls cost a few loads.
//
// Staleness. The wrappers invalidate an entry when they see its descriptor
// change (close, dup2/dup3 over it, a new socket or accepted connection on
// it, connect). A descriptor can still be recycled where the shim does not
// look (fclose, close_range, or any call made while idle, when wrappers only
// pass through), so:
//   - the table's epoch is bumped whenever the process goes from idle to
//     armed or recording, which drops everything cached before;
//   - before a fault changes a call, the caller checks same_socket() (one
//     fstat), so a stale entry can at worst make a fault miss a call, never
//     apply one to the wrong descriptor (a file or pipe reusing the number).
//
// The table is a static array for descriptors below kCapacity (32 bytes
// each, in BSS: pages never touched cost nothing). Descriptors beyond pass
// through unfaulted. Each entry is a seqlock over atomic words, so readers
// never block and never see a torn SocketInfo.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "faultline/shim/matcher.h"

namespace faultline::shim {

class FdTable {
 public:
  static constexpr int kCapacity = 65536;

  // The socket facts of `fd`: from the cache, else from the kernel (then
  // cached when complete). False when `fd` is not a socket, is closed or is
  // beyond kCapacity: the call passes through. Preserves errno.
  // The cached case is inline (every armed call makes it).
  bool lookup(int fd, SocketInfo* out) noexcept {
    if (fd < 0 || fd >= kCapacity) return false;
    std::uint32_t kind = kEmpty;
    if (read_entry(entries_[fd], epoch_.load(std::memory_order_acquire), &kind, out)) return kind == kSocket;
    return lookup_uncached(fd, out);
  }
  // Drops the entry of `fd` (it closed, or now names something else).
  void invalidate(int fd) noexcept;
  // Drops every entry (cheaply: entries of an older epoch read as empty).
  void invalidate_all() noexcept { epoch_.fetch_add(1, std::memory_order_acq_rel); }

  // Asks the kernel (getsockopt, getsockname, getpeername, fstat). Returns
  // false if `fd` is not a socket or is closed. `*complete` says whether the
  // facts may be cached: false for a stream socket without a peer yet
  // (connecting or listening). Other families than inet and unix give
  // proto kAny. Preserves errno.
  static bool probe(int fd, SocketInfo* out, bool* complete) noexcept;
  // True if `fd` still names the socket `info` was read from. Preserves errno.
  static bool same_socket(int fd, const SocketInfo& info) noexcept;

 private:
  enum Kind : std::uint32_t { kEmpty = 0, kSocket = 1, kNotSocket = 2 };
  struct Entry {
    std::atomic<std::uint32_t> seq;       // odd while written
    std::atomic<std::uint32_t> tag;       // epoch << 2 | Kind
    std::atomic<std::uint64_t> words[4];  // the SocketInfo
  };
  static_assert(sizeof(Entry) == 40);

  bool read_entry(const Entry& e, std::uint32_t epoch, std::uint32_t* kind, SocketInfo* out) const noexcept {
    const std::uint32_t s1 = e.seq.load(std::memory_order_acquire);
    if (s1 & 1u) return false;
    const std::uint32_t tag = e.tag.load(std::memory_order_relaxed);
    std::uint64_t w[4];
    for (int i = 0; i < 4; ++i) w[i] = e.words[i].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != s1) return false;
    if ((tag >> 2) != (epoch & 0x3fffffffu) || (tag & 3u) == kEmpty) return false;
    *kind = tag & 3u;
    std::memcpy(out, w, sizeof *out);
    return true;
  }
  // A miss: asks the kernel and caches the facts when complete.
  bool lookup_uncached(int fd, SocketInfo* out) noexcept;
  void write_entry(Entry& e, std::uint32_t seen_seq, std::uint32_t tag, const SocketInfo& info) noexcept;

  std::atomic<std::uint32_t> epoch_{0};
  Entry entries_[kCapacity]{};
};

// The process's table (constant-initialized, all zero: lives in BSS).
extern constinit FdTable g_fd_table;

}  // namespace faultline::shim
