// A system call with no libc wrapper around it: the instruction and the
// registers, nothing else. The caller turns a result in [-4095, -1] into
// errno (to_result).
//
// Why the shim has its own: glibc's wrapper for a cancellable call (read,
// send, recv, poll...) costs two atomic read-modify-writes on the thread's
// cancel word once the process has a second thread, and the shim's apply
// thread is one. While the host has no thread of its own, direct_calls.h
// makes those calls the way glibc does in a single-threaded process: this.
//
// kRawSyscalls is false where there is no implementation (other
// architectures) and in sanitizer builds, whose runtimes must see every
// read and write through their interceptors.
#pragma once

#include <errno.h>

#include <atomic>

namespace faultline::preload::sys {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define FAULTLINE_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FAULTLINE_SANITIZED 1
#endif

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(FAULTLINE_SANITIZED)
#define FAULTLINE_RAW_SYSCALLS 1
#endif

#ifdef FAULTLINE_RAW_SYSCALLS
inline constexpr bool kRawSyscalls = true;

// Up to three arguments: only the registers they need. Arguments keep
// their C types, as in glibc's wrappers: the kernel reads an int argument
// from the low half of its register, so an int needs no widening.
template <class A, class B = long, class C = long>
inline long raw(long nr, A a, B b = 0, C c = 0) noexcept {
#if defined(__x86_64__)
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
#else
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = static_cast<long>(a);
  register B x1 __asm__("x1") = b;
  register C x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
#endif
}

inline long raw(long nr, long a, long b, long c, long d, long e = 0, long f = 0) noexcept {
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

// errno's place relative to the thread pointer: the same in every thread,
// glibc's TLS being in the static block. Writing it there is what glibc's
// own wrappers do; `errno` would be a call to __errno_location() through
// the PLT on the error path of every direct call (EAGAIN on each empty
// non-blocking receive). 0 until the first error finds it.
inline constinit std::atomic<long> g_errno_tp_offset{0};

// First error: finds the place. Out of line and a tail call, so the fast
// paths keep no stack frame.
inline char* thread_pointer() noexcept {
  char* tp;
#if defined(__x86_64__)
  __asm__("movq %%fs:0, %0" : "=r"(tp));  // the TCB's first word points to itself
#else
  __asm__("mrs %0, tpidr_el0" : "=r"(tp));
#endif
  return tp;
}

[[gnu::noinline, gnu::cold]] inline long fail_first(long ret) noexcept {
  errno = static_cast<int>(-ret);
  g_errno_tp_offset.store(reinterpret_cast<char*>(&errno) - thread_pointer(), std::memory_order_relaxed);
  return -1;
}

inline void store_errno(long offset, int value) noexcept {
#if defined(__x86_64__)
  __asm__ volatile("movl %1, %%fs:(%0)" : : "r"(offset), "r"(value) : "memory");
#else
  *reinterpret_cast<int*>(thread_pointer() + offset) = value;
#endif
}

// The error path, out of line: a direct call's error branch jumps here and
// returns from here, one taken branch as in glibc's own wrappers.
[[gnu::noinline]] inline long fail(long ret) noexcept {
  const long offset = g_errno_tp_offset.load(std::memory_order_relaxed);
  if (__builtin_expect(offset == 0, 0)) return fail_first(ret);
  store_errno(offset, static_cast<int>(-ret));
  return -1;
}

// The kernel's -errno convention to libc's: -1 and errno.
template <class T>
inline T to_result(long ret) noexcept {
  if (__builtin_expect(static_cast<unsigned long>(ret) > -4096UL, 0)) return static_cast<T>(fail(ret));
  return static_cast<T>(ret);
}

#else
inline constexpr bool kRawSyscalls = false;
#endif

}  // namespace faultline::preload::sys
