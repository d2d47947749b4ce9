// The remaining libpq wrappers: PQgetResult and PQconsumeInput (kPqRoundTrip
// telemetry, and the end of an asynchronous statement's kPqQuery time), and
// PQprepare / PQsendPrepare, which are not faulted (the statement is, when
// executed) but whose text is kept whatever the mode.
#include "pq_armed.h"

#include <errno.h>

#include <cstdint>

#include "armed_call.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/telemetry_writer.h"
#include "pq_call.h"
#include "pq_real.h"
#include "pq_tables.h"

namespace faultline::preload::pq_armed {

PGresultPtr PQgetResult(PGconn* conn) {
  PqDepth depth;
  if (!depth.outermost() || !call_mode().telemetry()) return pq_real::PQgetResult(conn);
  const std::int64_t t0 = shim::now_ns();
  PGresult* r = pq_real::PQgetResult(conn);
  const std::int64_t t1 = shim::now_ns();
  const bool error = r != nullptr && pq_failed(r);
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
  PqDepth depth;
  if (!depth.outermost() || !call_mode().telemetry()) return pq_real::PQconsumeInput(conn);
  const std::int64_t t0 = shim::now_ns();
  const int r = pq_real::PQconsumeInput(conn);
  shim::record(abi::CallClass::kPqRoundTrip, shim::now_ns() - t0, 0, r == 0 ? kPqFailed : 0);
  return r;
}

PGresultPtr PQprepare(PGconn* conn, const char* stmt_name, const char* query, int n_params,
                      const Oid* param_types) {
  PqDepth depth;
  if (!depth.outermost()) return pq_real::PQprepare(conn, stmt_name, query, n_params, param_types);
  const bool timed = !shim::idle(shim::g_mode.load(std::memory_order_relaxed)) && call_mode().telemetry();
  const std::int64_t t0 = timed ? shim::now_ns() : 0;
  PGresult* r = pq_real::PQprepare(conn, stmt_name, query, n_params, param_types);
  const int saved = errno;
  if (t0 != 0) shim::record(abi::CallClass::kPqQuery, shim::now_ns() - t0, 0, pq_failed(r) ? kPqFailed : 0);
  if (r != nullptr && pq_real::PQresultStatus(r) == PGRES_COMMAND_OK)
    g_prepared_statements.remember(conn, stmt_name, query);
  errno = saved;
  return r;
}

int PQsendPrepare(PGconn* conn, const char* stmt_name, const char* query, int n_params,
                  const Oid* param_types) {
  PqDepth depth;
  if (!depth.outermost()) return pq_real::PQsendPrepare(conn, stmt_name, query, n_params, param_types);
  const int sent = pq_real::PQsendPrepare(conn, stmt_name, query, n_params, param_types);
  const int saved = errno;
  if (sent != 0) g_prepared_statements.remember(conn, stmt_name, query);
  errno = saved;
  return sent;
}

}  // namespace faultline::preload::pq_armed
