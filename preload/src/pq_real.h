// The real libpq functions: those the preload interposes (pq_interpose_table.h)
// and the few it calls itself (PQsocket, PQdb, ...), each behind an atomic
// pointer that starts at a stub resolving the symbol on first use with
// dlsym(RTLD_NEXT) (then dlopen("libpq.so.5", RTLD_NOLOAD) for a libpq loaded
// privately by dlopen). Never resolved eagerly: a process without libpq
// never looks them up. An unresolvable function fails like libpq does on
// a null connection (null, 0, PGRES_POLLING_FAILED) with errno ENOSYS.
#pragma once

#include <libpq-fe.h>

#include <atomic>

#include "pq_interpose_table.h"

#define FAULTLINE_PQ_HELPERS(X)                                                                  \
  X(int, PQsocket, (const PGconn* conn), (conn))                                                 \
  X(CharPtr, PQdb, (const PGconn* conn), (conn))                                                 \
  X(ConnStatusType, PQstatus, (const PGconn* conn), (conn))                                      \
  X(ExecStatusType, PQresultStatus, (const PGresult* res), (res))                                \
  X(PGContextVisibility, PQsetErrorContextVisibility, (PGconn * conn, PGContextVisibility show), \
    (conn, show))                                                                                \
  X(int, PQflush, (PGconn * conn), (conn))                                                       \
  X(int, PQisBusy, (PGconn * conn), (conn))                                                      \
  X(ConninfoPtr, PQconninfoParse, (const char* conninfo, char** errmsg), (conninfo, errmsg))     \
  X(void, PQconninfoFree, (PQconninfoOption * options), (options))                               \
  X(void, PQfreemem, (void* ptr), (ptr))

namespace faultline::preload::pq_real {

using namespace pq_types;
using CharPtr = char*;
using ConninfoPtr = PQconninfoOption*;

#define FAULTLINE_PQ_DECLARE_REAL(ret, name, params, args)  \
  using name##_fn = ret(*) params;                          \
  extern constinit std::atomic<name##_fn> name##_ptr;       \
  inline ret name params {                                  \
    return name##_ptr.load(std::memory_order_relaxed) args; \
  }
FAULTLINE_PQ_INTERPOSED(FAULTLINE_PQ_DECLARE_REAL)
FAULTLINE_PQ_HELPERS(FAULTLINE_PQ_DECLARE_REAL)
#undef FAULTLINE_PQ_DECLARE_REAL

}  // namespace faultline::preload::pq_real
