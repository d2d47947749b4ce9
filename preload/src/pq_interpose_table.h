// The libpq functions libfaultline.so interposes, declared once:
//   X(return type, name, (parameters), (arguments))
// Expanded into the real-function pointers (pq_real.h) and the exported
// wrappers (pq_wrappers.cpp). The preload does not link libpq: a program
// that does not use libpq never calls these, and one that does reaches the
// wrapper first through LD_PRELOAD; the real function is found lazily, on
// the first call, with dlsym(RTLD_NEXT).
//
// PLAIN wrappers have the one-load idle path. TRACKED ones also keep the
// table of prepared statements (their text, for --sql on PQexecPrepared)
// when idle: a faulted statement must be recognised even if it was prepared
// before anything was armed. Return types are aliases without '*' so the
// entries read like those of interpose_table.h.
#pragma once

#include <libpq-fe.h>

namespace faultline::preload::pq_types {
using PGconnPtr = PGconn*;
using PGresultPtr = PGresult*;
using PollingStatus = PostgresPollingStatusType;
}  // namespace faultline::preload::pq_types

#define FAULTLINE_PQ_PLAIN(X)                                                                          \
  X(PGconnPtr, PQconnectdb, (const char* conninfo), (conninfo))                                        \
  X(PGconnPtr, PQconnectdbParams,                                                                      \
    (const char* const* keywords, const char* const* values, int expand_dbname),                       \
    (keywords, values, expand_dbname))                                                                 \
  X(PGconnPtr, PQsetdbLogin,                                                                           \
    (const char* host, const char* port, const char* options, const char* tty, const char* db_name,    \
     const char* login, const char* password),                                                         \
    (host, port, options, tty, db_name, login, password))                                              \
  X(PGconnPtr, PQconnectStart, (const char* conninfo), (conninfo))                                     \
  X(PGconnPtr, PQconnectStartParams,                                                                   \
    (const char* const* keywords, const char* const* values, int expand_dbname),                       \
    (keywords, values, expand_dbname))                                                                 \
  X(PollingStatus, PQconnectPoll, (PGconn * conn), (conn))                                             \
  X(PGresultPtr, PQexec, (PGconn * conn, const char* query), (conn, query))                            \
  X(PGresultPtr, PQexecParams,                                                                         \
    (PGconn * conn, const char* command, int n_params, const Oid* param_types,                         \
     const char* const* param_values, const int* param_lengths, const int* param_formats,              \
     int result_format),                                                                               \
    (conn, command, n_params, param_types, param_values, param_lengths, param_formats, result_format)) \
  X(PGresultPtr, PQexecPrepared,                                                                       \
    (PGconn * conn, const char* stmt_name, int n_params, const char* const* param_values,              \
     const int* param_lengths, const int* param_formats, int result_format),                           \
    (conn, stmt_name, n_params, param_values, param_lengths, param_formats, result_format))            \
  X(int, PQsendQuery, (PGconn * conn, const char* query), (conn, query))                               \
  X(int, PQsendQueryParams,                                                                            \
    (PGconn * conn, const char* command, int n_params, const Oid* param_types,                         \
     const char* const* param_values, const int* param_lengths, const int* param_formats,              \
     int result_format),                                                                               \
    (conn, command, n_params, param_types, param_values, param_lengths, param_formats, result_format)) \
  X(int, PQsendQueryPrepared,                                                                          \
    (PGconn * conn, const char* stmt_name, int n_params, const char* const* param_values,              \
     const int* param_lengths, const int* param_formats, int result_format),                           \
    (conn, stmt_name, n_params, param_values, param_lengths, param_formats, result_format))            \
  X(PGresultPtr, PQgetResult, (PGconn * conn), (conn))                                                 \
  X(int, PQconsumeInput, (PGconn * conn), (conn))

#define FAULTLINE_PQ_TRACKED(X)                                                                      \
  X(PGresultPtr, PQprepare,                                                                          \
    (PGconn * conn, const char* stmt_name, const char* query, int n_params, const Oid* param_types), \
    (conn, stmt_name, query, n_params, param_types))                                                 \
  X(int, PQsendPrepare,                                                                              \
    (PGconn * conn, const char* stmt_name, const char* query, int n_params, const Oid* param_types), \
    (conn, stmt_name, query, n_params, param_types))                                                 \
  X(void, PQreset, (PGconn * conn), (conn))                                                          \
  X(void, PQfinish, (PGconn * conn), (conn))

#define FAULTLINE_PQ_INTERPOSED(X) FAULTLINE_PQ_PLAIN(X) FAULTLINE_PQ_TRACKED(X)
