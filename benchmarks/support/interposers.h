// The interposers the comparisons run side by side, and how to start a
// program under each.
#pragma once

#include <sys/types.h>

#include <string>

#include "faultline/testing/process.h"

namespace faultline::bench {

enum class Interposer { kNone, kFaultline, kLibfiu };
inline constexpr Interposer kAllInterposers[] = {Interposer::kNone, Interposer::kFaultline,
                                                 Interposer::kLibfiu};
const char* name_of(Interposer who) noexcept;

// Runs a program with nothing preloaded, with this build's libfaultline.so
// (idle: nothing armed, telemetry off), or with libfiu's POSIX preload as
// `fiu-run -x` runs it (nothing enabled, remote control on named pipes
// under libfiu_fifo_prefix()). Throws std::runtime_error for libfiu if it
// is not installed.
testing::SpawnOptions spawn_options(Interposer who);

// FIU_CTRL_FIFO of the programs this process starts under libfiu; libfiu
// appends "-PID.in" and "-PID.out".
std::string libfiu_fifo_prefix();
// Removes the named pipes of `pid`, if libfiu left them behind.
void remove_libfiu_fifos(pid_t pid);

}  // namespace faultline::bench
