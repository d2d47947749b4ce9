// Database-side fault actions, run as an administrator through libpq: what
// `faultline db terminate` and `faultline db lock` do. Errors are thrown as
// faultline::pq::Error (see error.h).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "faultline/pq/connection.h"

namespace faultline::pq {

// pg_terminate_backend for every client session of `database` except the
// admin connection itself; returns how many were terminated. On PostgreSQL
// 14+ it waits (up to 5 s each) until those backends are gone, so a client
// that reconnects right after does not find its old session. Sessions the
// admin role may not signal are skipped, not counted.
int terminate_backends(const std::string& admin_dsn, const std::string& database);

// Holds `LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE` in an open transaction
// from construction until release() or destruction: every reader and writer
// of the table waits meanwhile.
class TableLock {
 public:
  enum class HoldEnd { kElapsed, kStopped };

  // `table` is "name" or "schema.name" (quoted with PQescapeIdentifier, so
  // any spelling is safe; a name containing a dot cannot be given). Waits at
  // most lock_timeout for other holders of the table, then throws.
  TableLock(const std::string& dsn, std::string_view table,
            std::chrono::milliseconds lock_timeout = std::chrono::seconds(5));
  ~TableLock();
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;

  // Keeps the lock for `duration`, or until *stop becomes true (set it from a
  // SIGINT handler: it is polled every 20 ms). Throws kConnection if the
  // holding session dies meanwhile (the lock is then gone too).
  HoldEnd hold_for(std::chrono::milliseconds duration, const std::atomic<bool>* stop = nullptr);
  // Ends the transaction, freeing the table. Idempotent.
  void release();
  bool held() const noexcept { return held_; }
  // The table as quoted in the LOCK statement.
  const std::string& quoted_table() const noexcept { return quoted_table_; }
  // The server process holding the lock (for pg_locks / pg_stat_activity).
  int holder_pid() const noexcept { return conn_.backend_pid(); }

 private:
  Connection conn_;
  std::string quoted_table_;
  bool held_ = false;
};

}  // namespace faultline::pq
