// The connect wrappers (PQconnectdb*, PQsetdbLogin, PQconnectStart*,
// PQconnectPoll, PQreset, PQfinish): pq-refuse, and kPqConnect telemetry.
//
// pq-refuse: while the program's connect call runs, its stream connects to
// the server fail with ECONNREFUSED (pq_hooks.h), so libpq reports its own
// "Connection refused" for the real host and port (or socket) and returns a
// CONNECTION_BAD connection. --db is compared with the database the call
// names: dbname in the conninfo, URI or parameters, else PGDATABASE, else
// the user name (user, else PGUSER), as libpq defaults it (no service or
// password files are read).
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/pq_engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "pq_armed.h"
#include "pq_call.h"
#include "pq_hooks.h"
#include "pq_real.h"
#include "pq_tables.h"

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

// The database of a conninfo string (PQconnectdb, PQconnectStart).
const char* db_of_conninfo(DbName& n, const char* conninfo) noexcept {
  parse_conninfo(n, conninfo);
  return finish_db(n);
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
    shim::record(abi::CallClass::kPqConnect, shim::now_ns() - s.t0, 0, pq_connection_bad(c) ? kPqFailed : 0,
                 s.verdict.fired > 0);
}

// A connect by the application (not one libpq makes inside another call):
// decided, made with the refusal in force, then `made(s, c)` accounts for it.
template <class Db, class Connect, class Made>
PGconn* connect_decided(Db&& db, Connect&& connect, Made&& made) {
  PqDepth depth;
  if (!depth.outermost()) return connect();
  const ConnectStart s = decide_connect(db);
  PGconn* c;
  {
    Refusing refusing(s.verdict.refuse);
    c = connect();
  }
  made(s, c);
  return c;
}

// Blocking connects: PQconnectdb, PQconnectdbParams, PQsetdbLogin.
template <class Db, class Connect>
PGconn* connect_blocking(Db&& db, Connect&& connect) {
  return connect_decided(db, connect, record_connect);
}

// PQconnectStart*: the attempt ends in a later PQconnectPoll.
template <class Db, class Connect>
PGconn* connect_start(Db&& db, Connect&& connect) {
  return connect_decided(db, connect, [](const ConnectStart& s, PGconn* c) {
    if (s.t0 == 0) return;
    PendingTimes::Times* t = pq_connection_bad(c) ? nullptr : g_pending_times.find(c, true);
    if (t == nullptr) {
      record_connect(s, c);
    } else {
      t->connect_start_ns = s.t0;
      t->connect_faulted = s.verdict.fired > 0;
    }
  });
}

}  // namespace

namespace pq_armed {

// ---------------------------------------------------------- connects --

PGconnPtr PQconnectdb(const char* conninfo) {
  return connect_blocking([&](DbName& n) { return db_of_conninfo(n, conninfo); },
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
  return connect_start([&](DbName& n) { return db_of_conninfo(n, conninfo); },
                       [&] { return pq_real::PQconnectStart(conninfo); });
}

PGconnPtr PQconnectStartParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  return connect_start([&](DbName& n) { return db_of_params(n, keywords, values, expand_dbname); },
                       [&] { return pq_real::PQconnectStartParams(keywords, values, expand_dbname); });
}

PollingStatus PQconnectPoll(PGconn* conn) {
  PqDepth depth;
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
  if (shim::idle(shim::g_mode.load(std::memory_order_relaxed))) return pq_real::PQreset(conn);
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

}  // namespace pq_armed
}  // namespace faultline::preload
