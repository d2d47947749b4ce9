// The decision for one libpq call: which armed pq-* faults select it (by
// database name and by the statement's text against --sql) and what they
// want done. The libpq wrappers in preload/ ask; this file knows nothing of
// libpq itself.
//
// Where each kind acts:
//   pq-refuse  connects (PQconnectdb*, PQconnectStart*, PQreset)
//   pq-sever, pq-slow, pq-error
//              statements (PQexec, PQexecParams, PQexecPrepared and their
//              PQsend* counterparts)
// The socket engine (decide()) never acts on pq kinds, so a pq fault is
// applied once, at the libpq layer; a network fault on the database's
// address is applied at the socket layer to the bytes libpq sends and
// receives, whether or not a pq fault also fired.
//
// --sql patterns are compiled at arm time (SqlRegex) into a holder that
// readers pin with a use count, so the apply thread never rewrites a
// pattern a reader is still running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "faultline/controlplane/abi.h"

namespace faultline::shim {

bool is_pq_kind(abi::FaultKind kind) noexcept;

// ---- apply thread (the plan manager) ----

// Prepares what a pq fault needs besides the plan (its compiled --sql
// pattern), under `generation`. False with a NUL-terminated reason (at most
// `cap` bytes): the fault must be rejected.
bool pq_arm(const abi::FaultSpec& spec, std::uint64_t generation, char* reason, std::size_t cap) noexcept;
// The fault armed under `generation` is gone; its pattern stops matching.
void pq_disarm(std::uint64_t generation) noexcept;
// Fork child (one thread, no reader): forget every pattern.
void pq_reset_in_child() noexcept;

// ---- libpq wrappers ----

enum class PqOp : std::uint8_t { kConnect, kStatement };

// What the faults that fired want done with one call. Delays add up; a
// sever wins over an error (the error needs the link).
struct PqVerdict {
  std::int64_t delay_ns = 0;  // pq-slow: wait before forwarding the call
  bool refuse = false;        // pq-refuse: the connection attempt fails
  bool sever = false;         // pq-sever: cut the link before forwarding
  bool error = false;         // pq-error: the statement fails with sqlstate/message
  char sqlstate[abi::kSqlStateLen] = {};
  char message[abi::kMessageLen] = {};
  std::uint32_t fired = 0;  // faults that changed the call

  bool pass() const noexcept { return fired == 0; }
};

// The statement of a call as the faults see it. A prepared statement whose
// text the shim did not see prepared has sql_known false: faults with --sql
// do not select it, the others do.
struct PqCall {
  PqOp op = PqOp::kStatement;
  std::string_view sql;
  bool sql_known = false;
  const char* db = nullptr;  // the connection's database; null if unknown
};

// Asks the published plan about one call: bumps the matched and hit counters
// of the faults involved and reports a fault's first fire as an event.
// No lock, no syscall; no allocation.
PqVerdict decide_pq(const PqCall& call) noexcept;

}  // namespace faultline::shim
