#include "pq_real.h"

#include <dlfcn.h>
#include <errno.h>

#include <cstring>
#include <type_traits>

namespace faultline::preload::pq_real {
namespace {

void* find_symbol(const char* name) noexcept {
  if (void* sym = dlsym(RTLD_NEXT, name)) return sym;
  // A libpq that a library dlopen()ed privately is not in the global scope.
  if (void* handle = dlopen("libpq.so.5", RTLD_LAZY | RTLD_NOLOAD)) {
    void* sym = dlsym(handle, name);
    dlclose(handle);  // only drops the reference NOLOAD took
    return sym;
  }
  return nullptr;
}

template <class Fn>
Fn lookup(const char* name) noexcept {
  const int saved = errno;
  void* sym = find_symbol(name);
  errno = saved;
  Fn fn = nullptr;
  static_assert(sizeof fn == sizeof sym);
  std::memcpy(&fn, &sym, sizeof fn);  // object to function pointer, as dlsym intends
  return fn;
}

// What libpq returns for a null connection.
template <class T>
T failure() noexcept {
  if constexpr (std::is_void_v<T>) {
    return;
  } else if constexpr (std::is_same_v<T, PostgresPollingStatusType>) {
    return PGRES_POLLING_FAILED;
  } else if constexpr (std::is_same_v<T, ConnStatusType>) {
    return CONNECTION_BAD;
  } else if constexpr (std::is_same_v<T, ExecStatusType>) {
    return PGRES_FATAL_ERROR;
  } else {
    return T{};
  }
}

}  // namespace

#define FAULTLINE_PQ_DEFINE_REAL(ret, name, params, args)    \
  namespace {                                                \
  ret lazy_##name params;                                    \
  }                                                          \
  constinit std::atomic<name##_fn> name##_ptr{&lazy_##name}; \
  namespace {                                                \
  ret lazy_##name params {                                   \
    const name##_fn fn = lookup<name##_fn>(#name);           \
    if (fn == nullptr) {                                     \
      errno = ENOSYS;                                        \
      return failure<ret>();                                 \
    }                                                        \
    name##_ptr.store(fn, std::memory_order_relaxed);         \
    return fn args;                                          \
  }                                                          \
  }
FAULTLINE_PQ_INTERPOSED(FAULTLINE_PQ_DEFINE_REAL)
FAULTLINE_PQ_HELPERS(FAULTLINE_PQ_DEFINE_REAL)
#undef FAULTLINE_PQ_DEFINE_REAL

}  // namespace faultline::preload::pq_real
