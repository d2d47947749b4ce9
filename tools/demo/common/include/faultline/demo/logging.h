// One log format for every demo program: stderr, UTC time to the
// millisecond, program name, level. stdout stays free for machine-readable
// output (the load generator's summary).
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace faultline::demo {

void init_logging(const std::string& program);

}  // namespace faultline::demo
