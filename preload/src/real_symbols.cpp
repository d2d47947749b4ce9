#include "real_symbols.h"

#include <dlfcn.h>
#include <errno.h>

#include <cstdlib>
#include <cstring>

#include "direct_calls.h"
#include "faultline/shim/engine.h"

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define FAULTLINE_HAVE_SINGLE_THREADED 1
#endif

namespace faultline::preload::real {
namespace {

// shim::kModeLibcCalls in g_mode: set once, never cleared, when the host
// has (or had) a thread of its own or the environment turned the direct
// calls off. Read and set seq_cst, like the pointer stores around it, so a
// lazy resolver racing with use_libc_calls() cannot leave a direct pointer
// behind (see resolve_NAME below).
bool libc_only() noexcept {
  return (shim::g_mode.load() & shim::kModeLibcCalls) != 0;
}

// Sets kModeLibcCalls; true if this call set it.
bool mark_libc_only() noexcept {
  return sys::kRawSyscalls && (shim::g_mode.fetch_or(shim::kModeLibcCalls) & shim::kModeLibcCalls) == 0;
}

// The function an entry's pointer should hold: the direct one where there
// is one and the host is still single-threaded, else libc's.
template <direct::Call C, class Fn>
Fn preferred(Fn libc) noexcept {
  if constexpr (direct::has_direct<C>) {
    if (!libc_only()) return direct::Direct<C>::fn;
  }
  return libc;
}

bool host_has_threads() noexcept {
#ifdef FAULTLINE_HAVE_SINGLE_THREADED
  return !__libc_single_threaded;
#else
  return true;
#endif
}

bool environment_forbids_direct() noexcept {
  const char* v = std::getenv("FAULTLINE_DIRECT_SYSCALLS");
  return v != nullptr && std::strcmp(v, "0") == 0;
}

}  // namespace

// resolve_NAME stores the preferred function, then looks at the flag again:
// if use_libc_calls() set it meanwhile, libc's goes in after all.
#define FAULTLINE_DEFINE_REAL(ret, name, params, args)      \
  namespace {                                               \
  ret lazy_##name params;                                   \
  name##_fn resolve_##name() noexcept {                     \
    const name##_fn libc = next_function<name##_fn>(#name); \
    name##_fn fn = preferred<direct::Call::name>(libc);     \
    if (fn == nullptr) return nullptr;                      \
    name##_ptr.store(fn);                                   \
    if (fn != libc && libc_only() && libc != nullptr) {     \
      fn = libc;                                            \
      name##_ptr.store(fn);                                 \
    }                                                       \
    return fn;                                              \
  }                                                         \
  ret lazy_##name params {                                  \
    const name##_fn fn = resolve_##name();                  \
    if (fn == nullptr) {                                    \
      errno = ENOSYS;                                       \
      return -1;                                            \
    }                                                       \
    return fn args;                                         \
  }                                                         \
  }                                                         \
  constinit std::atomic<name##_fn> name##_ptr{&lazy_##name};
FAULTLINE_INTERPOSED(FAULTLINE_DEFINE_REAL)
FAULTLINE_INTERPOSED_THREADS(FAULTLINE_DEFINE_REAL)
#undef FAULTLINE_DEFINE_REAL

void resolve_all() noexcept {
  const int saved = errno;
  if (host_has_threads() || environment_forbids_direct()) mark_libc_only();
#define FAULTLINE_RESOLVE(ret, name, params, args) resolve_##name();
  FAULTLINE_INTERPOSED(FAULTLINE_RESOLVE)
  FAULTLINE_INTERPOSED_THREADS(FAULTLINE_RESOLVE)
#undef FAULTLINE_RESOLVE
  errno = saved;
}

void use_libc_calls() noexcept {
  if (!mark_libc_only()) return;
  const int saved = errno;
#define FAULTLINE_RESOLVE(ret, name, params, args) resolve_##name();
  FAULTLINE_INTERPOSED(FAULTLINE_RESOLVE)
#undef FAULTLINE_RESOLVE
  errno = saved;
}

bool calls_are_direct() noexcept {
  return sys::kRawSyscalls && !libc_only();
}

}  // namespace faultline::preload::real
