// The real functions behind the interposed ones: for each entry of
// interpose_table.h, an atomic pointer (relaxed loads: a plain move) and an
// inline caller faultline::preload::real::NAME(...).
//
// Resolution is eager, in the library's constructor (resolve_all), and lazy:
// every pointer starts at a stub that resolves the symbol with
// dlsym(RTLD_NEXT) on first use, so a call that arrives before the
// constructor ran (another library's constructor) still reaches libc. If a
// symbol cannot be found the stub fails the call with ENOSYS.
//
// Which function a pointer holds: for the cancellable calls
// (direct_calls.h), the direct system call while the host process has no
// thread of its own, libc's otherwise. The idle path pays the same load and
// indirect call either way; the choice changes what the call costs after it.
#pragma once

#include <dlfcn.h>

#include <atomic>
#include <cstring>

#include "interpose_table.h"
#include "thread_interpose_table.h"

namespace faultline::preload::real {

// The next definition of `name` after this library's (dlsym RTLD_NEXT), as
// a function pointer; null if there is none.
template <class Fn>
Fn next_function(const char* name) noexcept {
  void* sym = dlsym(RTLD_NEXT, name);
  Fn fn = nullptr;
  static_assert(sizeof fn == sizeof sym);
  std::memcpy(&fn, &sym, sizeof fn);  // object to function pointer, as dlsym intends
  return fn;
}

#define FAULTLINE_DECLARE_REAL(ret, name, params, args)     \
  using name##_fn = ret(*) params;                          \
  extern constinit std::atomic<name##_fn> name##_ptr;       \
  inline ret name params {                                  \
    return name##_ptr.load(std::memory_order_relaxed) args; \
  }
FAULTLINE_INTERPOSED(FAULTLINE_DECLARE_REAL)
FAULTLINE_INTERPOSED_THREADS(FAULTLINE_DECLARE_REAL)
#undef FAULTLINE_DECLARE_REAL

// Resolves every symbol now, choosing the direct calls unless the host
// already has threads (glibc's __libc_single_threaded is false before the
// shim started any) or FAULTLINE_DIRECT_SYSCALLS=0. Preserves errno.
void resolve_all() noexcept;

// From now on, and for good, every pointer holds libc's function. Called
// before the host gets a thread of its own or cancels one. Preserves errno.
void use_libc_calls() noexcept;

// True while the cancellable calls go straight to the kernel.
bool calls_are_direct() noexcept;

}  // namespace faultline::preload::real
