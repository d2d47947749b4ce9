// The exported wrappers. Idle path: one relaxed load of the mode word and
// the real call; the armed path is out of line, in armed_*.cpp.
#include <atomic>

#include "armed.h"
#include "faultline/shim/engine.h"
#include "interpose_table.h"
#include "real_symbols.h"

#define FAULTLINE_DEFINE_WRAPPER(ret, name, params, args)                                  \
  extern "C" __attribute__((visibility("default"))) ret name params {                      \
    if (__builtin_expect(faultline::shim::g_mode.load(std::memory_order_relaxed) == 0, 1)) \
      return faultline::preload::real::name args;                                          \
    return faultline::preload::armed::name args;                                           \
  }
FAULTLINE_INTERPOSED(FAULTLINE_DEFINE_WRAPPER)
#undef FAULTLINE_DEFINE_WRAPPER
