// pthread_create, pthread_cancel and thrd_create (thread_interpose_table.h):
// before the host starts its first thread, or cancels any, the interposed
// calls go back from the direct system calls to libc's (real_symbols.h), so
// every thread the host can cancel blocks in a call glibc can cancel. The
// shim's own threads (the apply thread, the delay engine) start in this
// library's code and change nothing.
#include <dlfcn.h>

#include <cstring>

#include "real_symbols.h"
#include "thread_interpose_table.h"

namespace {

bool starts_in_this_library(const void* start) noexcept {
  Dl_info self{};
  Dl_info other{};
  return dladdr(reinterpret_cast<const void*>(&starts_in_this_library), &self) != 0 &&
         dladdr(start, &other) != 0 && self.dli_fbase == other.dli_fbase;
}

template <class Fn>
const void* code_address(Fn fn) noexcept {
  const void* p = nullptr;
  static_assert(sizeof p == sizeof fn);
  std::memcpy(&p, &fn, sizeof p);
  return p;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int pthread_create(pthread_t* thread,
                                                                     const pthread_attr_t* attr,
                                                                     void* (*start)(void*), void* start_arg) {
  if (!starts_in_this_library(code_address(start))) faultline::preload::real::use_libc_calls();
  return faultline::preload::real::pthread_create(thread, attr, start, start_arg);
}

extern "C" __attribute__((visibility("default"))) int thrd_create(thrd_t* thread, thrd_start_t start,
                                                                  void* start_arg) {
  faultline::preload::real::use_libc_calls();
  return faultline::preload::real::thrd_create(thread, start, start_arg);
}

// glibc marks a single-threaded process multi-threaded on a self-cancel, so
// that its next cancellation point acts on it; the direct calls would not.
extern "C" __attribute__((visibility("default"))) int pthread_cancel(pthread_t thread) {
  faultline::preload::real::use_libc_calls();
  return faultline::preload::real::pthread_cancel(thread);
}
