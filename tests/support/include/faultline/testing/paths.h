// Where this build put what the tests launch.
#pragma once

#include <string>
#include <string_view>

namespace faultline::testing {

// libfaultline.so of this build.
std::string preload_path();
// A helper program of tests/support (udp_echo, tcp_echo, udp_pinger,
// tcp_pinger, errno_probe).
std::string helper_path(std::string_view name);

}  // namespace faultline::testing
