// What each interposed libpq function does when g_mode is not 0, and what
// the tracked ones do on every call: one function per entry of
// pq_interpose_table.h, same signature, in pq_connect.cpp (connects:
// pq-refuse), pq_statement.cpp (statements: pq-sever, pq-slow, pq-error)
// and pq_armed.cpp (results, input, prepares). Not noexcept: libpq blocks in
// cancellation points, and cancellation unwinds through here.
//
// Telemetry (while recording): kPqConnect times PQconnectdb*, PQsetdbLogin,
// PQreset, and PQconnectStart* to the PQconnectPoll that ends the attempt;
// kPqQuery times each statement (PQexec*, PQprepare; PQsend* to the
// PQgetResult that returns null); kPqRoundTrip each outermost PQgetResult
// and PQconsumeInput. A failed call counts as an error under errno "other".
#pragma once

#include "pq_interpose_table.h"

namespace faultline::preload::pq_armed {

using namespace pq_types;

#define FAULTLINE_PQ_DECLARE_ARMED(ret, name, params, args) ret name params;
FAULTLINE_PQ_INTERPOSED(FAULTLINE_PQ_DECLARE_ARMED)
#undef FAULTLINE_PQ_DECLARE_ARMED

}  // namespace faultline::preload::pq_armed
