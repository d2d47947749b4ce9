#include "real_symbols.h"

#include <dlfcn.h>
#include <errno.h>

#include <cstring>

namespace faultline::preload::real {
namespace {

template <class Fn>
Fn lookup(const char* name) noexcept {
  void* sym = dlsym(RTLD_NEXT, name);
  Fn fn = nullptr;
  static_assert(sizeof fn == sizeof sym);
  std::memcpy(&fn, &sym, sizeof fn);  // object to function pointer, as dlsym intends
  return fn;
}

}  // namespace

#define FAULTLINE_DEFINE_REAL(ret, name, params, args)                  \
  namespace {                                                           \
  ret lazy_##name params;                                               \
  name##_fn resolve_##name() noexcept {                                 \
    const name##_fn fn = lookup<name##_fn>(#name);                      \
    if (fn != nullptr) name##_ptr.store(fn, std::memory_order_relaxed); \
    return fn;                                                          \
  }                                                                     \
  ret lazy_##name params {                                              \
    const name##_fn fn = resolve_##name();                              \
    if (fn == nullptr) {                                                \
      errno = ENOSYS;                                                   \
      return -1;                                                        \
    }                                                                   \
    return fn args;                                                     \
  }                                                                     \
  }                                                                     \
  constinit std::atomic<name##_fn> name##_ptr{&lazy_##name};
FAULTLINE_INTERPOSED(FAULTLINE_DEFINE_REAL)
#undef FAULTLINE_DEFINE_REAL

void resolve_all() noexcept {
  const int saved = errno;
#define FAULTLINE_RESOLVE(ret, name, params, args) resolve_##name();
  FAULTLINE_INTERPOSED(FAULTLINE_RESOLVE)
#undef FAULTLINE_RESOLVE
  errno = saved;
}

}  // namespace faultline::preload::real
