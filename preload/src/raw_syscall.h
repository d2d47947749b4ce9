// A system call with no libc wrapper around it: the instruction and the
// registers, nothing else. The caller turns a result in [-4095, -1] into
// errno (to_result).
//
// Why the shim has its own: glibc's wrapper for a cancellable call (read,
// send, recv, poll...) costs two atomic read-modify-writes on the thread's
// cancel word once the process has a second thread, and the shim's apply
// thread is one. While the host has no thread of its own, direct_calls.cpp
// makes those calls the way glibc does in a single-threaded process: this.
//
// kRawSyscalls is false where there is no implementation (other
// architectures) and in sanitizer builds, whose runtimes must see every
// read and write through their interceptors.
#pragma once

#include <errno.h>

namespace faultline::preload::sys {

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define FAULTLINE_RAW_SYSCALLS 1
#endif

#ifdef FAULTLINE_RAW_SYSCALLS
inline constexpr bool kRawSyscalls = true;

inline long raw(long nr, long a, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) noexcept {
#if defined(__x86_64__)
  // The kernel's x86-64 convention: rax, rdi, rsi, rdx, r10, r8, r9; the
  // instruction clobbers rcx and r11.
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
#else
  // aarch64: number in x8, arguments and result in x0..x5.
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
#endif
}
#else
inline constexpr bool kRawSyscalls = false;
#endif

// This thread's errno, found once: `errno` is a call to
// __errno_location() through the PLT each time, which the error path of a
// direct call (EAGAIN on every empty non-blocking receive) would pay where
// glibc's own wrapper writes its TLS slot directly.
inline constinit thread_local int* t_errno_slot __attribute__((tls_model("initial-exec"))) = nullptr;

inline void set_errno(int value) noexcept {
  int* slot = t_errno_slot;
  if (__builtin_expect(slot == nullptr, 0)) t_errno_slot = slot = &errno;
  *slot = value;
}

// The kernel's -errno convention to libc's: -1 and errno.
template <class T>
inline T to_result(long ret) noexcept {
  if (__builtin_expect(static_cast<unsigned long>(ret) > -4096UL, 0)) {
    set_errno(static_cast<int>(-ret));
    return -1;
  }
  return static_cast<T>(ret);
}

}  // namespace faultline::preload::sys
