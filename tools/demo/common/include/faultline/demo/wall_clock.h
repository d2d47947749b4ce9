// Wall-clock time for what the services report to people and probes.
#pragma once

#include <cstdint>
#include <string>

namespace faultline::demo {

// CLOCK_REALTIME in ns since the Unix epoch.
std::int64_t wall_clock_ns();

// ISO-8601 UTC with microseconds and no offset, "2026-12-03T16:07:13.123456":
// what Python's datetime.utcnow().isoformat() writes, so the seed's freshness
// check (datetime.fromisoformat, compared with utcnow) reads it unchanged.
std::string format_utc_iso8601(std::int64_t ns_since_epoch);

}  // namespace faultline::demo
