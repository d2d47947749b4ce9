#include "interposers.h"

#include <unistd.h>

#include <stdexcept>

#include "bench_support.h"

namespace faultline::bench {

const char* name_of(Interposer who) noexcept {
  switch (who) {
    case Interposer::kNone:
      return "none";
    case Interposer::kFaultline:
      return "faultline";
    case Interposer::kLibfiu:
      return "libfiu";
  }
  return "?";
}

testing::SpawnOptions spawn_options(Interposer who) {
  testing::SpawnOptions options;
  options.preload = who == Interposer::kFaultline;
  if (who == Interposer::kLibfiu) {
    const std::string preload = libfiu_preload();
    if (preload.empty()) throw std::runtime_error("libfiu's preload libraries are not installed (fiu-utils)");
    options.env = {"LD_PRELOAD=" + preload, "FIU_ENABLE=", "FIU_CTRL_FIFO=" + libfiu_fifo_prefix()};
  }
  return options;
}

std::string libfiu_fifo_prefix() {
  return "/tmp/faultline-bench-fiu-" + std::to_string(getpid());
}

void remove_libfiu_fifos(pid_t pid) {
  const std::string base = libfiu_fifo_prefix() + "-" + std::to_string(pid);
  ::unlink((base + ".in").c_str());
  ::unlink((base + ".out").c_str());
}

}  // namespace faultline::bench
