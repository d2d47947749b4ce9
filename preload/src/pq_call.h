// Pieces every libpq wrapper shares (pq_connect.cpp, pq_statement.cpp,
// pq_armed.cpp).
//
// libpq calls its own exported functions through the PLT (PQexec calls
// PQsendQuery and PQgetResult, PQconnectdb calls PQconnectStart and
// PQconnectPoll), so they come back to the wrappers nested: only a thread's
// outermost call is the program's, and only it is faulted and timed.
#pragma once

#include <libpq-fe.h>

namespace faultline::preload {

extern constinit thread_local int t_pq_depth __attribute__((tls_model("initial-exec")));

// Marks a wrapper's frame; outermost() for the program's own call.
class PqDepth {
 public:
  PqDepth() noexcept : outermost_(t_pq_depth++ == 0) {}
  ~PqDepth() { --t_pq_depth; }
  PqDepth(const PqDepth&) = delete;
  PqDepth& operator=(const PqDepth&) = delete;
  bool outermost() const noexcept { return outermost_; }

 private:
  bool outermost_;
};

// A failed libpq call has no errno: telemetry counts it under "other".
inline constexpr int kPqFailed = -1;

// The calling thread is one of the shim's own (never faulted nor timed).
bool is_shim_thread() noexcept;
// A null result, or PGRES_FATAL_ERROR / PGRES_BAD_RESPONSE.
bool pq_failed(const PGresult* r) noexcept;
bool pq_connection_bad(const PGconn* c) noexcept;
// Drops what the tables remember of `conn` (PQreset, PQfinish).
void forget_connection(const PGconn* conn) noexcept;

}  // namespace faultline::preload
