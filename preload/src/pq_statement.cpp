// The statement wrappers (PQexec, PQexecParams, PQexecPrepared and their
// PQsend* counterparts): pq-slow, pq-sever, pq-error, and kPqQuery telemetry.
//
//   pq-slow    the call waits (precise wait) before it is forwarded.
//   pq-sever   the connection's socket is shut down (SHUT_RDWR) before the
//              call is forwarded: libpq finds the link gone and reports,
//              itself, "server closed the connection unexpectedly" with the
//              connection in CONNECTION_BAD; the server's backend sees EOF
//              and ends. (The cut happens at the next matching statement.)
//   pq-error   the statement is replaced by
//                DO $faultline$BEGIN RAISE EXCEPTION USING ERRCODE = 'S',
//                MESSAGE = E'M'; END$faultline$
//              so the server itself fails it: a genuine PGRES_FATAL_ERROR
//              result whose SQLSTATE is S, primary message M, severity ERROR,
//              and the transaction is aborted exactly as a real error aborts
//              it. Context lines are switched off on the connection while
//              the result is parsed (PQsetErrorContextVisibility), so
//              PQresultErrorMessage reads "ERROR:  M\n" like a natural error;
//              only PG_DIAG_CONTEXT and the source fields (pl_exec.c) tell.
//              On the asynchronous API the wrapper waits for that result to
//              arrive (at most 10 s) before returning from PQsend*.
//
// A prepared statement is matched by the text it was prepared with
// (pq_tables.h); one the shim did not see prepared matches only faults
// without --sql.
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/pq_engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "pq_armed.h"
#include "pq_call.h"
#include "pq_real.h"
#include "pq_tables.h"

namespace faultline::preload {
namespace {

using shim::PqCall;
using shim::PqOp;
using shim::PqVerdict;

constexpr std::int64_t kAwaitErrorNs = 10'000'000'000;

// ---------------------------------------------------------- statements --

struct StatementStart {
  CallMode mode{0};
  std::int64_t t0 = 0;
  PqVerdict verdict;
};

StatementStart begin_statement(PGconn* conn, std::string_view sql, bool sql_known) {
  StatementStart s;
  s.mode = call_mode();
  if (is_shim_thread()) return s;
  const int saved = errno;
  if (s.mode.telemetry()) s.t0 = shim::now_ns();
  if (s.mode.faults()) {
    PqCall call;
    call.op = PqOp::kStatement;
    call.sql = sql;
    call.sql_known = sql_known;
    call.db = conn != nullptr ? pq_real::PQdb(conn) : nullptr;
    s.verdict = shim::decide_pq(call);
    if (s.verdict.delay_ns > 0) wait_injected(shim::now_ns(), s.verdict.delay_ns, s.mode);
    if (s.verdict.sever && conn != nullptr) {
      const int fd = pq_real::PQsocket(conn);
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
  }
  errno = saved;
  return s;
}

const char* default_message(const char* sqlstate) noexcept {
  static constexpr struct {
    const char* code;
    const char* text;
  } kKnown[] = {
      {"40001", "could not serialize access due to concurrent update"},
      {"40P01", "deadlock detected"},
      {"57P01", "terminating connection due to administrator command"},
      {"57P02", "terminating connection due to crash of another server process"},
      {"57P03", "the database system is starting up"},
      {"53300", "sorry, too many clients already"},
      {"55P03", "could not obtain lock on relation"},
      {"57014", "canceling statement due to statement timeout"},
      {"25P02", "current transaction is aborted, commands ignored until end of transaction block"},
  };
  for (const auto& k : kKnown)
    if (std::strcmp(k.code, sqlstate) == 0) return k.text;
  return "error injected by faultline";
}

// The DO statement that makes the server fail with the verdict's SQLSTATE
// and message. The message goes into an E'' literal: quotes and
// backslashes escaped, '$' (which could close the dollar quote) and control
// bytes written as octal escapes.
constexpr std::size_t kErrorStatementCap = 128 + 4 * abi::kMessageLen;
void build_error_statement(const PqVerdict& v, char* out, std::size_t cap) noexcept {
  const char* message = v.message[0] != '\0' ? v.message : default_message(v.sqlstate);
  int n = std::snprintf(out, cap, "DO $faultline$BEGIN RAISE EXCEPTION USING ERRCODE = '%s', MESSAGE = E'",
                        v.sqlstate);
  std::size_t at = n > 0 ? static_cast<std::size_t>(n) : 0;
  for (const char* p = message; *p != '\0' && at + 8 < cap; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\'' || c == '\\') {
      out[at++] = '\\';
      out[at++] = static_cast<char>(c);
    } else if (c == '$' || c < 0x20 || c == 0x7f) {
      at += static_cast<std::size_t>(std::snprintf(out + at, cap - at, "\\%03o", c));
    } else {
      out[at++] = static_cast<char>(c);
    }
  }
  std::snprintf(out + at, cap - at, "'; END$faultline$");
}

// Context lines off while the injected error's result is parsed.
class ContextHidden {
 public:
  explicit ContextHidden(PGconn* conn) noexcept : conn_(conn) {
    if (conn_ != nullptr) previous_ = pq_real::PQsetErrorContextVisibility(conn_, PQSHOW_CONTEXT_NEVER);
  }
  ~ContextHidden() {
    if (conn_ != nullptr) pq_real::PQsetErrorContextVisibility(conn_, previous_);
  }
  ContextHidden(const ContextHidden&) = delete;
  ContextHidden& operator=(const ContextHidden&) = delete;

 private:
  PGconn* conn_;
  PGContextVisibility previous_ = PQSHOW_CONTEXT_ERRORS;
};

// After an injected error was sent on the asynchronous API: flush and read
// until its result is parsed (PQisBusy false), at most kAwaitErrorNs.
void await_parsed_result(PGconn* conn) {
  const int saved = errno;
  const std::int64_t deadline = shim::now_ns() + kAwaitErrorNs;
  for (;;) {
    const int flushed = pq_real::PQflush(conn);
    if (flushed < 0 || (flushed == 0 && pq_real::PQisBusy(conn) == 0)) break;
    const int fd = pq_real::PQsocket(conn);
    const std::int64_t left = deadline - shim::now_ns();
    if (fd < 0 || left <= 0) break;
    pollfd p{fd, static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left / 1'000'000 + 1));
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && pq_real::PQconsumeInput(conn) == 0)
      break;
  }
  errno = saved;
}

// A blocking statement: decide, then forward it or, for pq-error, run
// `replace(error_statement)` instead.
template <class Forward, class Replace>
PGresult* exec_statement(PGconn* conn, std::string_view sql, bool sql_known, Forward&& forward,
                         Replace&& replace) {
  PqDepth depth;
  if (!depth.outermost()) return forward();
  const StatementStart s = begin_statement(conn, sql, sql_known);
  PGresult* r;
  if (s.verdict.error) {
    char statement[kErrorStatementCap];
    build_error_statement(s.verdict, statement, sizeof statement);
    ContextHidden hidden(conn);
    r = replace(static_cast<const char*>(statement));
  } else {
    r = forward();
  }
  if (s.t0 != 0)
    shim::record(abi::CallClass::kPqQuery, shim::now_ns() - s.t0, 0, pq_failed(r) ? kPqFailed : 0,
                 s.verdict.fired > 0);
  return r;
}

// An asynchronous statement (PQsend*): as above; its time runs until the
// PQgetResult that returns null.
template <class Forward, class Replace>
int send_statement(PGconn* conn, std::string_view sql, bool sql_known, Forward&& forward, Replace&& replace) {
  PqDepth depth;
  if (!depth.outermost()) return forward();
  const StatementStart s = begin_statement(conn, sql, sql_known);
  int sent;
  if (s.verdict.error) {
    char statement[kErrorStatementCap];
    build_error_statement(s.verdict, statement, sizeof statement);
    ContextHidden hidden(conn);
    sent = replace(static_cast<const char*>(statement));
    if (sent != 0) await_parsed_result(conn);
  } else {
    sent = forward();
  }
  if (s.t0 == 0) return sent;
  PendingTimes::Times* t = sent != 0 ? g_pending_times.find(conn, true) : nullptr;
  if (t == nullptr) {
    shim::record(abi::CallClass::kPqQuery, shim::now_ns() - s.t0, 0, sent == 0 ? kPqFailed : 0,
                 s.verdict.fired > 0);
  } else {
    t->query_start_ns = s.t0;
    t->query_faulted = s.verdict.fired > 0;
    t->query_failed = false;
  }
  return sent;
}

std::string_view text_of(const char* s) noexcept {
  return s != nullptr ? std::string_view(s) : std::string_view("", 0);
}

}  // namespace

namespace pq_armed {

// -------------------------------------------------------- statements --

PGresultPtr PQexec(PGconn* conn, const char* query) {
  return exec_statement(
      conn, text_of(query), query != nullptr, [&] { return pq_real::PQexec(conn, query); },
      [&](const char* error) { return pq_real::PQexec(conn, error); });
}

PGresultPtr PQexecParams(PGconn* conn, const char* command, int n_params, const Oid* param_types,
                         const char* const* param_values, const int* param_lengths, const int* param_formats,
                         int result_format) {
  return exec_statement(
      conn, text_of(command), command != nullptr,
      [&] {
        return pq_real::PQexecParams(conn, command, n_params, param_types, param_values, param_lengths,
                                     param_formats, result_format);
      },
      [&](const char* error) {
        return pq_real::PQexecParams(conn, error, 0, nullptr, nullptr, nullptr, nullptr, result_format);
      });
}

PGresultPtr PQexecPrepared(PGconn* conn, const char* stmt_name, int n_params, const char* const* param_values,
                           const int* param_lengths, const int* param_formats, int result_format) {
  const std::string_view sql = g_prepared_statements.find(conn, stmt_name);
  return exec_statement(
      conn, sql, sql.data() != nullptr,
      [&] {
        return pq_real::PQexecPrepared(conn, stmt_name, n_params, param_values, param_lengths, param_formats,
                                       result_format);
      },
      [&](const char* error) {
        return pq_real::PQexecParams(conn, error, 0, nullptr, nullptr, nullptr, nullptr, result_format);
      });
}

int PQsendQuery(PGconn* conn, const char* query) {
  return send_statement(
      conn, text_of(query), query != nullptr, [&] { return pq_real::PQsendQuery(conn, query); },
      [&](const char* error) { return pq_real::PQsendQuery(conn, error); });
}

int PQsendQueryParams(PGconn* conn, const char* command, int n_params, const Oid* param_types,
                      const char* const* param_values, const int* param_lengths, const int* param_formats,
                      int result_format) {
  return send_statement(
      conn, text_of(command), command != nullptr,
      [&] {
        return pq_real::PQsendQueryParams(conn, command, n_params, param_types, param_values, param_lengths,
                                          param_formats, result_format);
      },
      [&](const char* error) {
        return pq_real::PQsendQueryParams(conn, error, 0, nullptr, nullptr, nullptr, nullptr, result_format);
      });
}

int PQsendQueryPrepared(PGconn* conn, const char* stmt_name, int n_params, const char* const* param_values,
                        const int* param_lengths, const int* param_formats, int result_format) {
  const std::string_view sql = g_prepared_statements.find(conn, stmt_name);
  return send_statement(
      conn, sql, sql.data() != nullptr,
      [&] {
        return pq_real::PQsendQueryPrepared(conn, stmt_name, n_params, param_values, param_lengths,
                                            param_formats, result_format);
      },
      [&](const char* error) {
        return pq_real::PQsendQueryParams(conn, error, 0, nullptr, nullptr, nullptr, nullptr, result_format);
      });
}

}  // namespace pq_armed
}  // namespace faultline::preload
