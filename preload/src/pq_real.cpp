#include "pq_real.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>

#include <cstring>
#include <type_traits>

namespace faultline::preload::pq_real {
namespace {

// In any loaded object other than this library: the last resort for a
// libpq loaded privately under another name (a Python wheel's bundled
// libpq-<hash>.so.5). Object names are gathered first; dlopen is not called
// from inside dl_iterate_phdr.
void* find_in_loaded_objects(const char* name) noexcept {
  constexpr int kMaxObjects = 512;
  struct Objects {
    const char* names[kMaxObjects];
    int count;
  } objects{};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* o = static_cast<Objects*>(data);
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0' && o->count < kMaxObjects)
          o->names[o->count++] = info->dlpi_name;
        return 0;
      },
      &objects);
  Dl_info self{};
  if (dladdr(reinterpret_cast<const void*>(&find_in_loaded_objects), &self) == 0) return nullptr;
  for (int i = 0; i < objects.count; ++i) {
    void* handle = dlopen(objects.names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    void* sym = dlsym(handle, name);
    dlclose(handle);  // only drops the reference NOLOAD took
    Dl_info where{};
    if (sym != nullptr && dladdr(sym, &where) != 0 && where.dli_fbase != self.dli_fbase) return sym;
  }
  return nullptr;
}

// libpq's definition of `name`: next after this library in the global scope,
// else in a libpq.so.5 loaded privately (dlopen RTLD_LOCAL, as Python's
// ctypes and extension modules do), else in any loaded object.
void* find_symbol(const char* name) noexcept {
  if (void* sym = dlsym(RTLD_NEXT, name)) return sym;
  if (void* handle = dlopen("libpq.so.5", RTLD_LAZY | RTLD_NOLOAD)) {
    void* sym = dlsym(handle, name);
    dlclose(handle);
    if (sym != nullptr) return sym;
  }
  return find_in_loaded_objects(name);
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
