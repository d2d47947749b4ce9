// The libpq wrappers' work when something is armed or recording, and the
// bookkeeping of the tracked ones. How each pq fault reaches the program:
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
//   pq-refuse  while the program's PQconnect* or PQreset runs, its stream
//              connects to the server fail with ECONNREFUSED (pq_hooks.h):
//              libpq reports its own "Connection refused" for the real
//              host and port (or socket) and returns a CONNECTION_BAD conn.
//
// libpq calls its own exported functions through the PLT (PQexec calls
// PQsendQuery and PQgetResult, PQconnectdb calls PQconnectStart and
// PQconnectPoll), so they come back here nested: only a thread's outermost
// call is the program's, and only it is faulted and timed.
//
// Telemetry (while recording): kPqConnect times PQconnectdb*, PQsetdbLogin,
// PQreset, and PQconnectStart* to the PQconnectPoll that ends the attempt;
// kPqQuery times each statement (PQexec*, PQprepare; PQsend* to the
// PQgetResult that returns null); kPqRoundTrip each outermost PQgetResult
// and PQconsumeInput. A failed call counts as an error under errno "other".
#include "pq_armed.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/pq_engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "pq_hooks.h"
#include "pq_real.h"
#include "pq_statements.h"

namespace faultline::preload {

constinit thread_local bool t_pq_refusing __attribute__((tls_model("initial-exec"))) = false;

bool pq_refuse_connect_slow(int fd, const sockaddr* addr, socklen_t addr_len) noexcept {
  if (addr == nullptr || addr_len < static_cast<socklen_t>(sizeof(sa_family_t))) return false;
  const int saved = errno;
  int type = 0;
  socklen_t type_len = sizeof type;
  const bool stream = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM;
  errno = saved;
  if (!stream) return false;
  if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) return true;
  if (addr->sa_family != AF_UNIX) return false;
  const std::size_t path_offset = offsetof(sockaddr_un, sun_path);
  if (addr_len <= path_offset) return false;
  const auto* un = reinterpret_cast<const sockaddr_un*>(addr);
  const std::size_t path_len = std::min<std::size_t>(addr_len - path_offset, sizeof un->sun_path);
  static constexpr char kPgSocket[] = ".s.PGSQL.";
  return memmem(un->sun_path, path_len, kPgSocket, sizeof kPgSocket - 1) != nullptr;
}

namespace {

using shim::PqCall;
using shim::PqOp;
using shim::PqVerdict;

constinit thread_local int t_pq_depth __attribute__((tls_model("initial-exec"))) = 0;

class Depth {
 public:
  Depth() noexcept : outermost_(t_pq_depth++ == 0) {}
  ~Depth() { --t_pq_depth; }
  Depth(const Depth&) = delete;
  Depth& operator=(const Depth&) = delete;
  bool outermost() const noexcept { return outermost_; }

 private:
  bool outermost_;
};

// A failed libpq call has no errno: telemetry counts it under "other".
constexpr int kPqFailed = -1;
constexpr std::int64_t kAwaitErrorNs = 10'000'000'000;

bool is_shim_thread() noexcept {
  shim::ShimScope scope;
  return !scope.entered();
}

bool failed(const PGresult* r) noexcept {
  if (r == nullptr) return true;
  const ExecStatusType s = pq_real::PQresultStatus(r);
  return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE;
}

bool connection_bad(const PGconn* c) noexcept {
  return c == nullptr || pq_real::PQstatus(c) == CONNECTION_BAD;
}

// ---------------------------------------------------------- databases --

struct DbName {
  char db[abi::kDbLen] = {};
  char user[abi::kDbLen] = {};
};

void copy_name(char (&dst)[abi::kDbLen], const char* src) noexcept {
  std::snprintf(dst, sizeof dst, "%s", src);
}

bool looks_like_conninfo(const char* s) noexcept {
  return std::strchr(s, '=') != nullptr || std::strncmp(s, "postgresql://", 13) == 0 ||
         std::strncmp(s, "postgres://", 11) == 0;
}

void take_option(DbName& n, const char* keyword, const char* value) noexcept {
  if (keyword == nullptr || value == nullptr || value[0] == '\0') return;
  if (std::strcmp(keyword, "dbname") == 0) copy_name(n.db, value);
  if (std::strcmp(keyword, "user") == 0) copy_name(n.user, value);
}

void parse_conninfo(DbName& n, const char* conninfo) noexcept {
  if (conninfo == nullptr) return;
  char* error = nullptr;
  PQconninfoOption* options = pq_real::PQconninfoParse(conninfo, &error);
  if (error != nullptr) pq_real::PQfreemem(error);
  if (options == nullptr) return;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) take_option(n, o->keyword, o->val);
  pq_real::PQconninfoFree(options);
}

// libpq's default: the database named like the user. Environment only (no
// password-file or service-file lookups).
const char* finish_db(DbName& n) noexcept {
  if (n.db[0] == '\0') {
    const char* env = std::getenv("PGDATABASE");
    if (env != nullptr && env[0] != '\0') {
      copy_name(n.db, env);
    } else {
      const char* user = n.user[0] != '\0' ? n.user : std::getenv("PGUSER");
      if (user != nullptr && user[0] != '\0') copy_name(n.db, user);
    }
  }
  return n.db[0] != '\0' ? n.db : nullptr;
}

const char* db_of_params(DbName& n, const char* const* keywords, const char* const* values,
                         int expand_dbname) noexcept {
  bool expanded = false;
  for (int i = 0; keywords != nullptr && values != nullptr && keywords[i] != nullptr; ++i) {
    const char* v = values[i];
    if (v == nullptr || v[0] == '\0') continue;
    if (expand_dbname != 0 && !expanded && std::strcmp(keywords[i], "dbname") == 0) {
      expanded = true;
      if (looks_like_conninfo(v)) {
        parse_conninfo(n, v);
        continue;
      }
    }
    take_option(n, keywords[i], v);
  }
  return finish_db(n);
}

// ------------------------------------------------------------ connects --

class Refusing {
 public:
  explicit Refusing(bool on) noexcept : previous_(t_pq_refusing) { t_pq_refusing = on; }
  ~Refusing() { t_pq_refusing = previous_; }
  Refusing(const Refusing&) = delete;
  Refusing& operator=(const Refusing&) = delete;

 private:
  bool previous_;
};

struct ConnectStart {
  CallMode mode{0};
  std::int64_t t0 = 0;
  PqVerdict verdict;
};

// `db` names the database, computed only if a fault may need it.
template <class Db>
ConnectStart decide_connect(Db&& db) {
  ConnectStart s;
  s.mode = call_mode();
  if (is_shim_thread()) return s;
  const int saved = errno;
  if (s.mode.telemetry()) s.t0 = shim::now_ns();
  if (s.mode.faults()) {
    DbName name;
    PqCall call;
    call.op = PqOp::kConnect;
    call.db = db(name);
    s.verdict = shim::decide_pq(call);
  }
  errno = saved;
  return s;
}

void record_connect(const ConnectStart& s, const PGconn* c) noexcept {
  if (s.t0 != 0)
    shim::record(abi::CallClass::kPqConnect, shim::now_ns() - s.t0, 0, connection_bad(c) ? kPqFailed : 0,
                 s.verdict.fired > 0);
}

// Blocking connects: PQconnectdb, PQconnectdbParams, PQsetdbLogin.
template <class Db, class Connect>
PGconn* connect_blocking(Db&& db, Connect&& connect) {
  Depth depth;
  if (!depth.outermost()) return connect();
  const ConnectStart s = decide_connect(db);
  PGconn* c;
  {
    Refusing refusing(s.verdict.refuse);
    c = connect();
  }
  record_connect(s, c);
  return c;
}

// PQconnectStart*: the attempt ends in a later PQconnectPoll.
template <class Db, class Connect>
PGconn* connect_start(Db&& db, Connect&& connect) {
  Depth depth;
  if (!depth.outermost()) return connect();
  const ConnectStart s = decide_connect(db);
  PGconn* c;
  {
    Refusing refusing(s.verdict.refuse);
    c = connect();
  }
  if (s.t0 == 0) return c;
  PendingTimes::Times* t = connection_bad(c) ? nullptr : g_pending_times.find(c, true);
  if (t == nullptr) {
    record_connect(s, c);
  } else {
    t->connect_start_ns = s.t0;
    t->connect_faulted = s.verdict.fired > 0;
  }
  return c;
}

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
  Depth depth;
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
    shim::record(abi::CallClass::kPqQuery, shim::now_ns() - s.t0, 0, failed(r) ? kPqFailed : 0,
                 s.verdict.fired > 0);
  return r;
}

// An asynchronous statement (PQsend*): as above; its time runs until the
// PQgetResult that returns null.
template <class Forward, class Replace>
int send_statement(PGconn* conn, std::string_view sql, bool sql_known, Forward&& forward, Replace&& replace) {
  Depth depth;
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

void forget_connection(const PGconn* conn) noexcept {
  g_prepared_statements.forget(conn);
  g_pending_times.forget(conn);
}

}  // namespace

namespace pq_armed {

// ---------------------------------------------------------- connects --

PGconnPtr PQconnectdb(const char* conninfo) {
  return connect_blocking(
      [&](DbName& n) {
        parse_conninfo(n, conninfo);
        return finish_db(n);
      },
      [&] { return pq_real::PQconnectdb(conninfo); });
}

PGconnPtr PQconnectdbParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  return connect_blocking([&](DbName& n) { return db_of_params(n, keywords, values, expand_dbname); },
                          [&] { return pq_real::PQconnectdbParams(keywords, values, expand_dbname); });
}

PGconnPtr PQsetdbLogin(const char* host, const char* port, const char* options, const char* tty,
                       const char* db_name, const char* login, const char* password) {
  return connect_blocking(
      [&](DbName& n) {
        if (login != nullptr && login[0] != '\0') copy_name(n.user, login);
        if (db_name != nullptr && looks_like_conninfo(db_name))
          parse_conninfo(n, db_name);
        else if (db_name != nullptr && db_name[0] != '\0')
          copy_name(n.db, db_name);
        return finish_db(n);
      },
      [&] { return pq_real::PQsetdbLogin(host, port, options, tty, db_name, login, password); });
}

PGconnPtr PQconnectStart(const char* conninfo) {
  return connect_start(
      [&](DbName& n) {
        parse_conninfo(n, conninfo);
        return finish_db(n);
      },
      [&] { return pq_real::PQconnectStart(conninfo); });
}

PGconnPtr PQconnectStartParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  return connect_start([&](DbName& n) { return db_of_params(n, keywords, values, expand_dbname); },
                       [&] { return pq_real::PQconnectStartParams(keywords, values, expand_dbname); });
}

PollingStatus PQconnectPoll(PGconn* conn) {
  Depth depth;
  const PostgresPollingStatusType r = pq_real::PQconnectPoll(conn);
  if (!depth.outermost() || !call_mode().telemetry() || (r != PGRES_POLLING_OK && r != PGRES_POLLING_FAILED))
    return r;
  PendingTimes::Times* t = g_pending_times.find(conn, false);
  if (t != nullptr && t->connect_start_ns != 0) {
    shim::record(abi::CallClass::kPqConnect, shim::now_ns() - t->connect_start_ns, 0,
                 r == PGRES_POLLING_FAILED ? kPqFailed : 0, t->connect_faulted);
    t->connect_start_ns = 0;
  }
  return r;
}

void PQreset(PGconn* conn) {
  // The new session has none of the old one's prepared statements.
  forget_connection(conn);
  if (shim::g_mode.load(std::memory_order_relaxed) == 0) return pq_real::PQreset(conn);
  connect_blocking(
      [&](DbName&) { return conn != nullptr ? static_cast<const char*>(pq_real::PQdb(conn)) : nullptr; },
      [&] {
        pq_real::PQreset(conn);
        return conn;
      });
}

void PQfinish(PGconn* conn) {
  forget_connection(conn);
  pq_real::PQfinish(conn);
}

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

PGresultPtr PQgetResult(PGconn* conn) {
  Depth depth;
  if (!depth.outermost() || !call_mode().telemetry()) return pq_real::PQgetResult(conn);
  const std::int64_t t0 = shim::now_ns();
  PGresult* r = pq_real::PQgetResult(conn);
  const std::int64_t t1 = shim::now_ns();
  const bool error = r != nullptr && failed(r);
  shim::record(abi::CallClass::kPqRoundTrip, t1 - t0, 0, error ? kPqFailed : 0);
  PendingTimes::Times* t = g_pending_times.find(conn, false);
  if (t != nullptr && t->query_start_ns != 0) {
    t->query_failed = t->query_failed || error;
    if (r == nullptr) {
      shim::record(abi::CallClass::kPqQuery, t1 - t->query_start_ns, 0, t->query_failed ? kPqFailed : 0,
                   t->query_faulted);
      t->query_start_ns = 0;
    }
  }
  return r;
}

int PQconsumeInput(PGconn* conn) {
  Depth depth;
  if (!depth.outermost() || !call_mode().telemetry()) return pq_real::PQconsumeInput(conn);
  const std::int64_t t0 = shim::now_ns();
  const int r = pq_real::PQconsumeInput(conn);
  shim::record(abi::CallClass::kPqRoundTrip, shim::now_ns() - t0, 0, r == 0 ? kPqFailed : 0);
  return r;
}

// --------------------------------------------------------- prepares --
// Not faulted (the statement is faulted when executed); their text is kept
// whatever the mode.

PGresultPtr PQprepare(PGconn* conn, const char* stmt_name, const char* query, int n_params,
                      const Oid* param_types) {
  Depth depth;
  if (!depth.outermost()) return pq_real::PQprepare(conn, stmt_name, query, n_params, param_types);
  const bool timed = shim::g_mode.load(std::memory_order_relaxed) != 0 && call_mode().telemetry();
  const std::int64_t t0 = timed ? shim::now_ns() : 0;
  PGresult* r = pq_real::PQprepare(conn, stmt_name, query, n_params, param_types);
  const int saved = errno;
  if (t0 != 0) shim::record(abi::CallClass::kPqQuery, shim::now_ns() - t0, 0, failed(r) ? kPqFailed : 0);
  if (r != nullptr && pq_real::PQresultStatus(r) == PGRES_COMMAND_OK)
    g_prepared_statements.remember(conn, stmt_name, query);
  errno = saved;
  return r;
}

int PQsendPrepare(PGconn* conn, const char* stmt_name, const char* query, int n_params,
                  const Oid* param_types) {
  Depth depth;
  if (!depth.outermost()) return pq_real::PQsendPrepare(conn, stmt_name, query, n_params, param_types);
  const int sent = pq_real::PQsendPrepare(conn, stmt_name, query, n_params, param_types);
  const int saved = errno;
  if (sent != 0) g_prepared_statements.remember(conn, stmt_name, query);
  errno = saved;
  return sent;
}

}  // namespace pq_armed
}  // namespace faultline::preload
