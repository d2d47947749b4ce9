// A bounded, thread-safe libpq connection pool for services that must ride
// out a database that drops connections (the seed's
// ResilientConnectionPool): broken connections are discarded and replaced,
// and a statement that failed because of the link (or lost a serialization
// race) is retried with exponential backoff and full jitter, within a
// budget of attempts and elapsed time. A statement that failed on its own
// merits (constraint violation, syntax, ...) is never retried.
//
// Errors are thrown as faultline::pq::Error (see error.h).
//
// At-least-once: if the link drops after the server committed a statement
// but before the client read the reply, the retry runs it again. Statements
// passed here should be idempotent, or the caller accepts that rare double.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "faultline/pq/backoff.h"
#include "faultline/pq/connection.h"
#include "faultline/pq/error.h"

namespace faultline::pq {

inline constexpr std::chrono::milliseconds kNever = std::chrono::milliseconds::max();

struct PoolOptions {
  std::string dsn;
  // Opened by the constructor; later the pool refills on demand.
  std::size_t min_connections = 1;
  // Connections open at once (idle, leased or connecting) never exceed this.
  std::size_t max_connections = 8;
  // How long acquire() waits for a free slot before kPoolExhausted.
  std::chrono::milliseconds acquire_timeout{std::chrono::seconds(5)};
  std::chrono::seconds connect_timeout{5};
  // An idle connection unused for longer than this is probed with SELECT 1
  // before it is handed out (kNever: only PQstatus is checked). Idle
  // connections are also probed after any connection failure in the pool,
  // since a server restart or a mass termination kills them all at once.
  std::chrono::milliseconds health_check_after{std::chrono::seconds(30)};
  BackoffPolicy backoff;
  // Jitter seed; unset draws one from std::random_device.
  std::optional<std::uint64_t> jitter_seed;
};

struct PoolCounters {
  std::uint64_t attempts = 0;    // tries of run_with_retry/execute_with_retry, retries included
  std::uint64_t retries = 0;     // tries after the first of a call
  std::uint64_t reconnects = 0;  // connections opened to replace discarded ones
  std::uint64_t failures = 0;    // calls that gave up and threw
  std::uint64_t discarded = 0;   // broken connections dropped (in use or by a health check)
};

class ResilientPool {
 public:
  // Opens min_connections. Throws Error if one cannot be opened (a DSN that
  // does not connect is an input error: fail at start, not at first use).
  explicit ResilientPool(PoolOptions options);
  // Every Lease must have been returned.
  ~ResilientPool();
  ResilientPool(const ResilientPool&) = delete;
  ResilientPool& operator=(const ResilientPool&) = delete;

  // A connection on loan. Returning it rolls back an open transaction; a
  // connection that is broken, busy or marked with discard() is dropped.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    Connection& operator*() noexcept { return *conn_; }
    Connection* operator->() noexcept { return &*conn_; }
    // The caller knows the connection is unusable (e.g. after kConnection).
    void discard() noexcept { broken_ = true; }

   private:
    friend class ResilientPool;
    Lease(ResilientPool* pool, Connection conn) noexcept : pool_(pool), conn_(std::move(conn)) {}
    void give_back() noexcept;

    ResilientPool* pool_;
    std::optional<Connection> conn_;
    bool broken_ = false;
  };

  // A healthy connection: an idle one (checked), or a new one if the pool is
  // below max_connections. Throws kPoolExhausted after acquire_timeout, or
  // the connect error. Does not retry; run_with_retry does.
  Lease acquire();

  // Runs one statement (simple protocol without params, extended with) and
  // retries it as described above.
  Result execute_with_retry(const std::string& sql, const Params& params = {});

  // Runs fn(Connection&) on a pooled connection, retrying the whole of fn on
  // kConnection and kRetryableTransaction errors; fn may span a transaction
  // (BEGIN ... COMMIT), which is then retried as a unit. Returns fn's result;
  // on giving up throws the last Error, its message saying how many tries.
  template <class Fn>
  std::invoke_result_t<Fn&, Connection&> run_with_retry(Fn&& fn);

  PoolCounters counters() const noexcept;
  // Connections open now (idle + leased + connecting).
  std::size_t size() const;
  std::size_t idle() const;
  const PoolOptions& options() const noexcept { return options_; }

 private:
  struct IdleConnection {
    Connection conn;
    std::chrono::steady_clock::time_point since;
  };
  struct CallState {
    std::chrono::steady_clock::time_point started;
    int attempt = 0;
  };

  void release(Connection conn, bool broken) noexcept;
  bool passes_health_check(Connection& conn, std::chrono::steady_clock::time_point idle_since,
                           bool suspect) noexcept;
  void forget_connection(bool link_failed);
  void begin_attempt(CallState& call) noexcept;
  // Inside a catch handler: sleeps and returns if another try is allowed,
  // otherwise rethrows (with the number of tries in the message).
  void wait_or_give_up(CallState& call, const Error& error);

  const PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<IdleConnection> idle_;                        // guarded by mutex_; back = most recently used
  std::size_t open_ = 0;                                    // guarded by mutex_
  std::size_t awaiting_replacement_ = 0;                    // guarded by mutex_
  std::chrono::steady_clock::time_point suspect_before_{};  // guarded by mutex_
  Backoff backoff_;                                         // guarded by mutex_

  std::atomic<std::uint64_t> attempts_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> discarded_{0};
};

template <class Fn>
std::invoke_result_t<Fn&, Connection&> ResilientPool::run_with_retry(Fn&& fn) {
  CallState call{std::chrono::steady_clock::now(), 0};
  for (;;) {
    begin_attempt(call);
    try {
      Lease lease = acquire();
      try {
        return fn(*lease);
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::kConnection) lease.discard();
        throw;
      }
    } catch (const Error& error) {
      wait_or_give_up(call, error);
    } catch (...) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
  }
}

}  // namespace faultline::pq
