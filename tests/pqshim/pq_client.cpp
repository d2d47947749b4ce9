// A libpq client the pqshim tests run under the preload and drive through
// stdin, one command a line; each command prints one line on stdout:
//
//   connect DSN | connect_async DSN | reset
//        -> connect status=OK|BAD message=...
//   exec SQL | params SQL | prepare NAME SQL | prepared NAME
//   send SQL | send_params SQL | send_prepared NAME
//        -> result status=PGRES_... sqlstate=S|- conn=OK|BAD txn=IDLE|INTRANS|INERROR|ACTIVE|UNKNOWN
//           value=FIRST|- elapsed_ns=N message=...
//   pool DSN            a faultline::pq::ResilientPool of 2 connections
//        -> pool ok | pool error message=...
//   pool_insert FROM N  INSERT id FROM..FROM+N-1 into pool_writes, each with
//                       execute_with_retry (idempotent: ON CONFLICT DO NOTHING)
//        -> pool_insert committed=K failed=F retries=R reconnects=C message=...
//   finish | quit
//
// The first line is "ready PID". Messages come last on their line with
// newlines written as \n. Statements of the send family are read to the
// end (PQgetResult until null); the reported result is the first error,
// else the last result.
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "faultline/pq/error.h"
#include "faultline/pq/pool.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string escape(const char* text) {
  std::string out;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    if (*p == '\n')
      out += "\\n";
    else if (*p == '\t')
      out += "\\t";
    else
      out += *p;
  }
  return out;
}

const char* txn_name(PGTransactionStatusType t) {
  switch (t) {
    case PQTRANS_IDLE:
      return "IDLE";
    case PQTRANS_ACTIVE:
      return "ACTIVE";
    case PQTRANS_INTRANS:
      return "INTRANS";
    case PQTRANS_INERROR:
      return "INERROR";
    default:
      return "UNKNOWN";
  }
}

struct Client {
  PGconn* conn = nullptr;
  std::unique_ptr<faultline::pq::ResilientPool> pool;

  void finish() {
    if (conn != nullptr) PQfinish(conn);
    conn = nullptr;
  }

  void print_connect() const {
    std::cout << "connect status=" << (PQstatus(conn) == CONNECTION_OK ? "OK" : "BAD")
              << " message=" << escape(PQerrorMessage(conn)) << std::endl;
  }

  void print_result(PGresult* r, Clock::time_point start) const {
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    const char* sqlstate = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const bool has_value = r != nullptr && PQntuples(r) > 0 && PQnfields(r) > 0;
    std::cout << "result status=" << (r != nullptr ? PQresStatus(PQresultStatus(r)) : "NULL")
              << " sqlstate=" << (sqlstate != nullptr ? sqlstate : "-")
              << " conn=" << (PQstatus(conn) == CONNECTION_OK ? "OK" : "BAD")
              << " txn=" << txn_name(PQtransactionStatus(conn))
              << " value=" << (has_value ? PQgetvalue(r, 0, 0) : "-") << " elapsed_ns=" << elapsed
              << " message=" << escape(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn))
              << std::endl;
  }

  // Reads a PQsend* statement to its end.
  void drain(int sent, Clock::time_point start) {
    if (sent == 0) {
      std::cout << "result status=SEND_FAILED sqlstate=- conn="
                << (PQstatus(conn) == CONNECTION_OK ? "OK" : "BAD")
                << " txn=" << txn_name(PQtransactionStatus(conn))
                << " value=- elapsed_ns=0 message=" << escape(PQerrorMessage(conn)) << std::endl;
      return;
    }
    PGresult* kept = nullptr;
    while (PGresult* r = PQgetResult(conn)) {
      if (kept != nullptr && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
        PQclear(r);
        continue;
      }
      PQclear(kept);
      kept = r;
    }
    print_result(kept, start);
    PQclear(kept);
  }

  void connect_async(const std::string& dsn) {
    finish();
    conn = PQconnectStart(dsn.c_str());
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (conn != nullptr && PQstatus(conn) != CONNECTION_BAD && state != PGRES_POLLING_OK &&
           state != PGRES_POLLING_FAILED) {
      pollfd p{PQsocket(conn), static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
      ::poll(&p, 1, 5000);
      state = PQconnectPoll(conn);
    }
    print_connect();
  }

  void pool_insert(long from, long count) {
    long committed = 0, failed = 0;
    std::string last_error;
    for (long id = from; id < from + count; ++id) {
      try {
        pool->execute_with_retry("INSERT INTO pool_writes (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
                                 {std::to_string(id)});
        ++committed;
      } catch (const faultline::pq::Error& e) {
        ++failed;
        last_error = e.what();
      }
    }
    const faultline::pq::PoolCounters c = pool->counters();
    std::cout << "pool_insert committed=" << committed << " failed=" << failed << " retries=" << c.retries
              << " reconnects=" << c.reconnects << " message=" << escape(last_error.c_str()) << std::endl;
  }

  bool run(const std::string& line) {
    const auto space = line.find(' ');
    const std::string verb = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    const auto split = rest.find(' ');
    const std::string first = rest.substr(0, split);
    const std::string second = split == std::string::npos ? "" : rest.substr(split + 1);
    const Clock::time_point start = Clock::now();
    if (verb == "connect") {
      finish();
      conn = PQconnectdb(rest.c_str());
      print_connect();
    } else if (verb == "connect_async") {
      connect_async(rest);
    } else if (verb == "reset") {
      PQreset(conn);
      print_connect();
    } else if (verb == "exec") {
      PGresult* r = PQexec(conn, rest.c_str());
      print_result(r, start);
      PQclear(r);
    } else if (verb == "params") {
      PGresult* r = PQexecParams(conn, rest.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
      print_result(r, start);
      PQclear(r);
    } else if (verb == "prepare") {
      PGresult* r = PQprepare(conn, first.c_str(), second.c_str(), 0, nullptr);
      print_result(r, start);
      PQclear(r);
    } else if (verb == "prepared") {
      PGresult* r = PQexecPrepared(conn, rest.c_str(), 0, nullptr, nullptr, nullptr, 0);
      print_result(r, start);
      PQclear(r);
    } else if (verb == "send") {
      drain(PQsendQuery(conn, rest.c_str()), start);
    } else if (verb == "send_params") {
      drain(PQsendQueryParams(conn, rest.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), start);
    } else if (verb == "send_prepared") {
      drain(PQsendQueryPrepared(conn, rest.c_str(), 0, nullptr, nullptr, nullptr, 0), start);
    } else if (verb == "pool") {
      try {
        faultline::pq::PoolOptions options;
        options.dsn = rest;
        options.min_connections = 2;
        options.max_connections = 2;
        options.jitter_seed = 7;
        options.health_check_after = std::chrono::milliseconds(0);
        pool = std::make_unique<faultline::pq::ResilientPool>(options);
        std::cout << "pool ok" << std::endl;
      } catch (const faultline::pq::Error& e) {
        std::cout << "pool error message=" << escape(e.what()) << std::endl;
      }
    } else if (verb == "pool_insert") {
      pool_insert(std::stol(first), std::stol(second));
    } else if (verb == "finish") {
      finish();
      std::cout << "finished" << std::endl;
    } else if (verb == "quit") {
      return false;
    } else {
      std::cout << "unknown command " << verb << std::endl;
    }
    return true;
  }
};

}  // namespace

int main() {
  std::cout << "ready " << getpid() << std::endl;
  Client client;
  std::string line;
  while (std::getline(std::cin, line) && client.run(line)) {
  }
  client.pool.reset();
  client.finish();
  return 0;
}
