#include <poll.h>

#include <thread>

#include "faultline/pq/admin.h"
#include "faultline/pq/error.h"

namespace faultline::pq {
namespace {

std::string quote_table(const Connection& conn, std::string_view table) {
  if (table.empty()) throw Error(ErrorKind::kPermanent, "", "lock: the table name is empty");
  const auto dot = table.find('.');
  if (dot == std::string_view::npos) return conn.quote_identifier(table);
  if (dot == 0 || dot + 1 == table.size() || table.find('.', dot + 1) != std::string_view::npos) {
    throw Error(ErrorKind::kPermanent, "",
                "lock: \"" + std::string(table) + "\" is not a table or schema.table name");
  }
  return conn.quote_identifier(table.substr(0, dot)) + "." + conn.quote_identifier(table.substr(dot + 1));
}

}  // namespace

TableLock::TableLock(const std::string& dsn, std::string_view table, std::chrono::milliseconds lock_timeout)
    : conn_(Connection::open(dsn)), quoted_table_(quote_table(conn_, table)) {
  conn_.exec("BEGIN");
  conn_.exec("SET LOCAL lock_timeout = " + std::to_string(lock_timeout.count()));
  conn_.exec("LOCK TABLE " + quoted_table_ + " IN ACCESS EXCLUSIVE MODE");
  held_ = true;
}

TableLock::~TableLock() {
  try {
    release();
  } catch (...) {
    // The session is closed by Connection's destructor, which frees the lock as well.
  }
}

TableLock::HoldEnd TableLock::hold_for(std::chrono::milliseconds duration, const std::atomic<bool>* stop) {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds kPoll{20};
  const auto deadline = Clock::now() + duration;
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return HoldEnd::kStopped;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return HoldEnd::kElapsed;
    // Watching the socket notices a terminated session at once: the server
    // sends its FATAL message, then closes.
    pollfd fd{PQsocket(conn_.native()), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min(left, kPoll).count()));
    if (ready > 0 && (PQconsumeInput(conn_.native()) == 0 || PQstatus(conn_.native()) == CONNECTION_BAD)) {
      held_ = false;
      throw Error(ErrorKind::kConnection, "",
                  "lock on " + quoted_table_ + " lost: " + one_line(PQerrorMessage(conn_.native())));
    }
  }
}

void TableLock::release() {
  if (!held_) return;
  held_ = false;
  conn_.exec("ROLLBACK");
}

}  // namespace faultline::pq
