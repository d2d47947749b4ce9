#include "pq_call.h"

#include "faultline/shim/engine.h"
#include "pq_real.h"
#include "pq_tables.h"

namespace faultline::preload {

constinit thread_local int t_pq_depth __attribute__((tls_model("initial-exec"))) = 0;

bool is_shim_thread() noexcept {
  shim::ShimScope scope;
  return !scope.entered();
}

bool pq_failed(const PGresult* r) noexcept {
  if (r == nullptr) return true;
  const ExecStatusType s = pq_real::PQresultStatus(r);
  return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE;
}

bool pq_connection_bad(const PGconn* c) noexcept {
  return c == nullptr || pq_real::PQstatus(c) == CONNECTION_BAD;
}

void forget_connection(const PGconn* conn) noexcept {
  g_prepared_statements.forget(conn);
  g_pending_times.forget(conn);
}

}  // namespace faultline::preload
