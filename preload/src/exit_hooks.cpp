// _exit and _Exit (exit_interpose_table.h): the segment's name goes away
// first, as the library's destructor does on exit().
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "exit_interpose_table.h"
#include "startup.h"

namespace {

using ExitFn = void (*)(int);

[[noreturn]] void end_process(const char* real_name, int status) noexcept {
  faultline::preload::unlink_own_segment();
  void* sym = dlsym(RTLD_NEXT, real_name);
  if (sym != nullptr) {
    ExitFn fn = nullptr;
    static_assert(sizeof fn == sizeof sym);
    std::memcpy(&fn, &sym, sizeof fn);
    fn(status);
  }
  for (;;) syscall(SYS_exit_group, status);
}

}  // namespace

#define FAULTLINE_DEFINE_EXIT(name)                                                            \
  extern "C" __attribute__((visibility("default"), noreturn)) void name(int status) noexcept { \
    end_process(#name, status);                                                                \
  }
FAULTLINE_INTERPOSED_EXIT(FAULTLINE_DEFINE_EXIT)
#undef FAULTLINE_DEFINE_EXIT
