// Records intercepted calls into the segment's abi::Telemetry: per call
// class a counter block and a log-linear histogram of durations, plus errors
// by errno. Relaxed read-modify-writes only (the maximum by a CAS loop), no
// lock, no syscall. Callers record only while g_mode has kModeTelemetry;
// record() itself does nothing until a segment's telemetry is attached.
#pragma once

#include <cstddef>
#include <cstdint>

#include "faultline/controlplane/abi.h"

namespace faultline::shim {

// One call of class `cls` that took `duration_ns` and moved `bytes`; `err`
// is its errno when it failed (0 otherwise); `faulted` when a fault changed
// it. For abi::CallClass::kInjectedDelay, `duration_ns` is the delay the
// shim actually applied.
void record(abi::CallClass cls, std::int64_t duration_ns, std::size_t bytes, int err,
            bool faulted = false) noexcept;

// Where record() writes; null stops recording. Set by the plan manager.
void set_telemetry_sink(abi::Telemetry* telemetry) noexcept;
abi::Telemetry* telemetry_sink() noexcept;

}  // namespace faultline::shim
