// What each interposed libpq function does when g_mode is not 0 (pq_armed.cpp),
// and what the tracked ones do on every call (pq_tracked.cpp): one function
// per entry of pq_interpose_table.h, same signature. Not noexcept: libpq
// blocks in cancellation points, and cancellation unwinds through here.
#pragma once

#include "pq_interpose_table.h"

namespace faultline::preload::pq_armed {

using namespace pq_types;

#define FAULTLINE_PQ_DECLARE_ARMED(ret, name, params, args) ret name params;
FAULTLINE_PQ_INTERPOSED(FAULTLINE_PQ_DECLARE_ARMED)
#undef FAULTLINE_PQ_DECLARE_ARMED

}  // namespace faultline::preload::pq_armed
