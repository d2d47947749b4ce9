// The real functions behind the interposed ones: for each entry of
// interpose_table.h, an atomic pointer (relaxed loads: a plain move) and an
// inline caller faultline::preload::real::NAME(...).
//
// Resolution is eager, in the library's constructor (resolve_all), and lazy:
// every pointer starts at a stub that resolves the symbol with
// dlsym(RTLD_NEXT) on first use, so a call that arrives before the
// constructor ran (another library's constructor) still reaches libc. If a
// symbol cannot be found the stub fails the call with ENOSYS.
#pragma once

#include <atomic>

#include "interpose_table.h"

namespace faultline::preload::real {

#define FAULTLINE_DECLARE_REAL(ret, name, params, args)     \
  using name##_fn = ret(*) params;                          \
  extern constinit std::atomic<name##_fn> name##_ptr;       \
  inline ret name params {                                  \
    return name##_ptr.load(std::memory_order_relaxed) args; \
  }
FAULTLINE_INTERPOSED(FAULTLINE_DECLARE_REAL)
#undef FAULTLINE_DECLARE_REAL

// Resolves every symbol now. Preserves errno.
void resolve_all() noexcept;

}  // namespace faultline::preload::real
