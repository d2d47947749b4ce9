// pthread_create, pthread_cancel, thrd_create and pthread_exit
// (thread_interpose_table.h). The first three:
// before the host starts its first thread, or cancels any, the interposed
// calls go back from the direct system calls to libc's (real_symbols.h), so
// every thread the host can cancel blocks in a call glibc can cancel. The
// shim's own threads (the apply thread, the delay engine) start in this
// library's code and change nothing.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "host_exit_watch.h"
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

// A host thread's start, run through host_thread_main: a thread that
// returns as the host's last one ends the process there (host_exit_watch.h).
struct HostStart {
  void* (*start)(void*);
  void* arg;
};

void* host_thread_main(void* p) {
  const HostStart s = *static_cast<HostStart*>(p);
  std::free(p);
  void* result = s.start(s.arg);
  if (faultline::preload::is_last_host_thread()) std::exit(0);
  return result;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int pthread_create(pthread_t* thread,
                                                                     const pthread_attr_t* attr,
                                                                     void* (*start)(void*), void* start_arg) {
  if (starts_in_this_library(code_address(start)))
    return faultline::preload::real::pthread_create(thread, attr, start, start_arg);
  faultline::preload::real::use_libc_calls();
  auto* s = static_cast<HostStart*>(std::malloc(sizeof(HostStart)));
  if (s == nullptr) return faultline::preload::real::pthread_create(thread, attr, start, start_arg);
  *s = HostStart{start, start_arg};
  const int rc = faultline::preload::real::pthread_create(thread, attr, host_thread_main, s);
  if (rc != 0) std::free(s);
  return rc;
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

// The host's last thread ending: exit(0) here, as glibc would once the
// thread was gone, were the shim's threads not still running
// (host_exit_watch.h).
extern "C" __attribute__((visibility("default"), noreturn)) void pthread_exit(void* retval) {
  using ExitFn = void (*)(void*);
  if (faultline::preload::is_last_host_thread()) std::exit(0);
  static const ExitFn real_exit = faultline::preload::real::next_function<ExitFn>("pthread_exit");
  if (real_exit != nullptr) real_exit(retval);
  for (;;) syscall(SYS_exit, 0);  // no libc pthread_exit: end the thread, not the process
}
