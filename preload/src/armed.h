// What each interposed function does when g_mode is not 0 (a fault is armed
// or telemetry is recording): one function per entry of interpose_table.h,
// same signature. Not noexcept: most real calls are thread-cancellation
// points, and cancellation unwinds through these frames.
#pragma once

#include "interpose_table.h"

namespace faultline::preload::armed {

#define FAULTLINE_DECLARE_ARMED(ret, name, params, args) ret name params;
FAULTLINE_INTERPOSED(FAULTLINE_DECLARE_ARMED)
#undef FAULTLINE_DECLARE_ARMED

}  // namespace faultline::preload::armed
