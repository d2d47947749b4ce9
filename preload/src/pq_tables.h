// What the libpq wrappers remember per connection, in fixed lock-free tables
// keyed by the PGconn pointer:
//   PreparedStatements  the text of each statement prepared on a connection
//                       (PQprepare, PQsendPrepare), so --sql can select its
//                       executions (PQexecPrepared, PQsendQueryPrepared).
//                       Kept even when idle; forgotten at PQreset and
//                       PQfinish.
//   PendingTimes        when an asynchronous connect or query began, for
//                       telemetry (only while recording).
// libpq forbids using one PGconn from two threads at once, so a
// connection's entries are written and read by one thread at a time; other
// threads only compare the owner word while scanning, and a slot is claimed
// with a CAS on it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::preload {

class PreparedStatements {
 public:
  static constexpr int kCapacity = 1024;

  // Remembers `text` as statement `name` of `conn`, replacing an older one
  // of that name. False when the table is full or memory runs out (the
  // statement is then unknown to --sql).
  bool remember(const void* conn, const char* name, const char* text) noexcept;
  // The text of `name` on `conn`; data() null if unknown. Valid until the
  // next remember/forget for `conn`.
  std::string_view find(const void* conn, const char* name) const noexcept;
  // Drops every statement of `conn`.
  void forget(const void* conn) noexcept;
  bool empty() const noexcept { return live_.load(std::memory_order_relaxed) == 0; }

 private:
  struct Entry {
    std::atomic<const void*> owner{nullptr};  // null free, kClaimed being written
    std::uint64_t name_hash = 0;
    char* name = nullptr;
    char* text = nullptr;
    std::size_t text_len = 0;
  };
  int locate(const void* conn, const char* name, std::uint64_t hash) const noexcept;
  void release(Entry& e) noexcept;

  Entry entries_[kCapacity];
  std::atomic<int> used_{0};  // high-water mark of claimed slots
  std::atomic<int> live_{0};
};

class PendingTimes {
 public:
  static constexpr int kCapacity = 256;
  struct Times {
    std::int64_t connect_start_ns = 0;  // 0: none pending
    std::int64_t query_start_ns = 0;
    bool connect_faulted = false;
    bool query_faulted = false;  // a fault changed the pending query
    bool query_failed = false;   // one of its results was an error
  };
  // The entry of `conn`, created if `create`; null if absent or full.
  Times* find(const void* conn, bool create) noexcept;
  void forget(const void* conn) noexcept;
  bool empty() const noexcept { return live_.load(std::memory_order_relaxed) == 0; }

 private:
  struct Entry {
    std::atomic<const void*> owner{nullptr};
    Times times;
  };
  Entry entries_[kCapacity];
  std::atomic<int> used_{0};
  std::atomic<int> live_{0};
};

extern PreparedStatements g_prepared_statements;
extern PendingTimes g_pending_times;

}  // namespace faultline::preload
