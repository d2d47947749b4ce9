#include "faultline/pq/pool.h"

#include <random>
#include <string>
#include <thread>

namespace faultline::pq {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t seed_from(const std::optional<std::uint64_t>& seed) {
  if (seed) return *seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

long long to_ms(Clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

ResilientPool::ResilientPool(PoolOptions options)
    : options_(std::move(options)), backoff_(options_.backoff, seed_from(options_.jitter_seed)) {
  if (options_.max_connections == 0) {
    throw Error(ErrorKind::kPermanent, "", "connection pool: max_connections must be at least 1");
  }
  if (options_.min_connections > options_.max_connections) {
    throw Error(ErrorKind::kPermanent, "",
                "connection pool: min_connections (" + std::to_string(options_.min_connections) +
                    ") exceeds max_connections (" + std::to_string(options_.max_connections) + ")");
  }
  idle_.reserve(options_.max_connections);
  for (std::size_t i = 0; i < options_.min_connections; ++i) {
    idle_.push_back({Connection::open(options_.dsn, options_.connect_timeout), Clock::now()});
    ++open_;
  }
}

ResilientPool::~ResilientPool() = default;

ResilientPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), broken_(other.broken_) {
  other.conn_.reset();
}

ResilientPool::Lease& ResilientPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
    broken_ = other.broken_;
    other.conn_.reset();
  }
  return *this;
}

ResilientPool::Lease::~Lease() {
  give_back();
}

void ResilientPool::Lease::give_back() noexcept {
  if (!conn_) return;
  Connection conn = std::move(*conn_);
  conn_.reset();
  pool_->release(std::move(conn), broken_);
}

ResilientPool::Lease ResilientPool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = Clock::now() + options_.acquire_timeout;
  for (;;) {
    while (!idle_.empty()) {
      IdleConnection candidate = std::move(idle_.back());
      idle_.pop_back();
      const bool suspect = candidate.since < suspect_before_;
      lock.unlock();
      if (passes_health_check(candidate.conn, candidate.since, suspect)) {
        return Lease(this, std::move(candidate.conn));
      }
      { Connection dropped = std::move(candidate.conn); }  // PQfinish outside the lock
      lock.lock();
      forget_connection(true);
    }
    if (open_ < options_.max_connections) {
      ++open_;
      lock.unlock();
      try {
        Connection conn = Connection::open(options_.dsn, options_.connect_timeout);
        lock.lock();
        if (awaiting_replacement_ > 0) {
          --awaiting_replacement_;
          reconnects_.fetch_add(1, std::memory_order_relaxed);
        }
        return Lease(this, std::move(conn));
      } catch (...) {
        lock.lock();
        --open_;
        slot_freed_.notify_one();
        throw;
      }
    }
    if (slot_freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_connections) {
      throw Error(ErrorKind::kPoolExhausted, "",
                  "connection pool: no connection became free within " +
                      std::to_string(options_.acquire_timeout.count()) + " ms (all " +
                      std::to_string(options_.max_connections) + " in use)");
    }
  }
}

bool ResilientPool::passes_health_check(Connection& conn, Clock::time_point idle_since,
                                        bool suspect) noexcept {
  if (!conn.ok()) return false;
  const bool stale =
      options_.health_check_after != kNever && Clock::now() - idle_since > options_.health_check_after;
  if (!suspect && !stale) return true;
  try {
    conn.exec("SELECT 1");
    return true;
  } catch (...) {
    return false;
  }
}

// Called with mutex_ held when a connection is dropped.
void ResilientPool::forget_connection(bool link_failed) {
  --open_;
  ++awaiting_replacement_;
  discarded_.fetch_add(1, std::memory_order_relaxed);
  // One dead link usually means the others died with it (server restart,
  // mass termination): every connection idle since before now gets probed.
  if (link_failed) suspect_before_ = Clock::now();
  slot_freed_.notify_one();
}

void ResilientPool::release(Connection conn, bool broken) noexcept {
  bool link_failed = broken || !conn.ok();
  bool keep = !link_failed;
  if (keep) {
    switch (conn.transaction_status()) {
      case PQTRANS_IDLE:
        break;
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR:
        try {
          conn.exec("ROLLBACK");
        } catch (...) {
          keep = false;
          link_failed = !conn.ok();
        }
        break;
      default:  // a statement still running, or a state libpq cannot tell
        keep = false;
        break;
    }
  }
  if (keep) {
    std::lock_guard guard(mutex_);
    idle_.push_back({std::move(conn), Clock::now()});
    slot_freed_.notify_one();
    return;
  }
  { Connection dropped = std::move(conn); }  // PQfinish outside the lock
  std::lock_guard guard(mutex_);
  forget_connection(link_failed);
}

void ResilientPool::begin_attempt(CallState& call) noexcept {
  ++call.attempt;
  attempts_.fetch_add(1, std::memory_order_relaxed);
  if (call.attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
}

void ResilientPool::wait_or_give_up(CallState& call, const Error& error) {
  if (error.kind() == ErrorKind::kConnection) {
    std::lock_guard guard(mutex_);
    suspect_before_ = Clock::now();
  }
  if (!error.retryable()) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  std::chrono::microseconds delay{0};
  {
    std::lock_guard guard(mutex_);
    delay = backoff_.delay(call.attempt);
  }
  const auto elapsed = Clock::now() - call.started;
  const BackoffPolicy& policy = options_.backoff;
  if (call.attempt >= policy.max_attempts || elapsed + delay > policy.max_elapsed) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    throw Error(error.kind(), error.sqlstate(),
                "gave up after " + std::to_string(call.attempt) + " attempt(s) in " +
                    std::to_string(to_ms(elapsed)) + " ms: " + error.what());
  }
  std::this_thread::sleep_for(delay);
}

Result ResilientPool::execute_with_retry(const std::string& sql, const Params& params) {
  return run_with_retry(
      [&](Connection& conn) { return params.empty() ? conn.exec(sql) : conn.exec(sql, params); });
}

PoolCounters ResilientPool::counters() const noexcept {
  PoolCounters c;
  c.attempts = attempts_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  c.reconnects = reconnects_.load(std::memory_order_relaxed);
  c.failures = failures_.load(std::memory_order_relaxed);
  c.discarded = discarded_.load(std::memory_order_relaxed);
  return c;
}

std::size_t ResilientPool::size() const {
  std::lock_guard guard(mutex_);
  return open_;
}

std::size_t ResilientPool::idle() const {
  std::lock_guard guard(mutex_);
  return idle_.size();
}

}  // namespace faultline::pq
