// faultline db terminate --dsn DSN --database NAME
// faultline db lock --dsn DSN --table T --for D [--lock-timeout D]
// Database-side fault actions, run as an administrator through libpq
// (faultline::pq): end every other session of a database, or hold an ACCESS
// EXCLUSIVE lock on a table for a while. `lock` prints one line when the
// lock is held and one when it is released; Ctrl-C or SIGTERM releases it
// early (exit 0: the lock is gone either way).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "faultline/cli/error.h"
#include "faultline/cli/format.h"
#include "faultline/cli/parse.h"
#include "faultline/pq/admin.h"
#include "faultline/pq/error.h"

namespace faultline::cli {
namespace {

struct DbArgs {
  std::string dsn;
  std::string database;
  std::string table;
  std::string hold = "";
  std::string lock_timeout = "5s";
};

std::atomic<bool> g_stop{false};

void request_stop(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

// SIGINT and SIGTERM end the hold instead of the process, so the lock is
// released by its own session (ROLLBACK) before exit.
class StopOnSignals {
 public:
  StopOnSignals() {
    struct sigaction sa {};
    sa.sa_handler = &request_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string seconds(std::chrono::steady_clock::duration d) {
  return format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

UserError failure(const std::string& action, const pq::Error& e) {
  const std::string expected = e.kind() == pq::ErrorKind::kConnection
                                   ? "a DSN of a running PostgreSQL server and an administrator role"
                                   : "a statement the server accepts";
  return UserError("db " + action + ": " + pq::one_line(e.what()) + ": expected " + expected);
}

int run_terminate(const DbArgs& args) {
  try {
    const int n = pq::terminate_backends(args.dsn, args.database);
    std::cout << "terminated " << n << " session" << (n == 1 ? "" : "s") << " of database " << args.database
              << "\n";
    return 0;
  } catch (const pq::Error& e) {
    throw failure("terminate", e);
  }
}

int run_lock(const DbArgs& args) {
  const std::int64_t hold_ns = parse_duration(args.hold, "--for");
  const std::int64_t timeout_ns = parse_duration(args.lock_timeout, "--lock-timeout");
  if (hold_ns <= 0) throw UserError("--for '" + args.hold + "': expected a positive duration, e.g. 30s");
  const auto to_ms = [](std::int64_t ns) { return std::chrono::milliseconds((ns + 999'999) / 1'000'000); };
  StopOnSignals signals;
  try {
    pq::TableLock lock(args.dsn, args.table, to_ms(timeout_ns));
    const auto held_at = std::chrono::steady_clock::now();
    std::cout << "locked " << lock.quoted_table() << " (ACCESS EXCLUSIVE) for " << format_duration(hold_ns)
              << ", holder pid " << lock.holder_pid() << std::endl;
    const pq::TableLock::HoldEnd end = lock.hold_for(to_ms(hold_ns), &g_stop);
    lock.release();
    std::cout << "released " << lock.quoted_table() << " after "
              << seconds(std::chrono::steady_clock::now() - held_at)
              << (end == pq::TableLock::HoldEnd::kStopped ? " (interrupted)" : "") << std::endl;
    return 0;
  } catch (const pq::Error& e) {
    throw failure("lock", e);
  }
}

}  // namespace

Command add_db(CLI::App& root) {
  auto args = std::make_shared<DbArgs>();
  CLI::App* cmd = root.add_subcommand(
      "db", "Database-side faults through libpq: 'faultline db terminate ...' or 'faultline db lock ...'");
  cmd->require_subcommand(1);

  CLI::App* terminate = cmd->add_subcommand(
      "terminate", "End every other session of a database (pg_terminate_backend) and print how many");
  terminate->add_option("--dsn", args->dsn, "Administrator's connection string (keyword=value or URI)")
      ->required();
  terminate->add_option("--database", args->database, "The database whose sessions end")->required();

  CLI::App* lock = cmd->add_subcommand(
      "lock", "Hold an ACCESS EXCLUSIVE lock on a table for a while (Ctrl-C releases it)");
  lock->add_option("--dsn", args->dsn, "Connection string of a role allowed to lock the table")->required();
  lock->add_option("--table", args->table, "NAME or SCHEMA.NAME")->required();
  lock->add_option("--for", args->hold, "How long to hold it, e.g. 30s")->required();
  lock->add_option("--lock-timeout", args->lock_timeout,
                   "How long to wait for other holders of the table (default 5s)");

  return {cmd, [args, terminate, lock] {
            if (terminate->parsed()) return run_terminate(*args);
            if (lock->parsed()) return run_lock(*args);
            throw UserError("db: expected 'terminate' or 'lock'", kExitUsage);
          }};
}

}  // namespace faultline::cli
