// _exit and _Exit (exit_interpose_table.h): the segment's name goes away
// first, as the library's destructor does on exit().
#include <sys/syscall.h>
#include <unistd.h>

#include "exit_interpose_table.h"
#include "real_symbols.h"
#include "startup.h"

namespace {

using ExitFn = void (*)(int);

[[noreturn]] void end_process(const char* real_name, int status) noexcept {
  faultline::preload::unlink_own_segment();
  if (const ExitFn fn = faultline::preload::real::next_function<ExitFn>(real_name)) fn(status);
  for (;;) syscall(SYS_exit_group, status);
}

}  // namespace

#define FAULTLINE_DEFINE_EXIT(name)                                                            \
  extern "C" __attribute__((visibility("default"), noreturn)) void name(int status) noexcept { \
    end_process(#name, status);                                                                \
  }
FAULTLINE_INTERPOSED_EXIT(FAULTLINE_DEFINE_EXIT)
#undef FAULTLINE_DEFINE_EXIT
