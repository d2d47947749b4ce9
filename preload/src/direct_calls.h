// The interposed calls made straight to the kernel (raw_syscall.h), for a
// host with no thread of its own: the same system call with the same
// arguments glibc 2.36 makes on x86-64 and aarch64 when the process is
// single-threaded (sysdeps/unix/sysv/linux/*.c), so errno, EINTR and
// partial transfers are the kernel's, as through libc; only the
// cancel-word bookkeeping that the shim's own apply thread would otherwise
// cost every call is left out. The idle wrapper (wrappers.cpp) inlines
// them while g_mode is 0, and real_symbols.cpp points the armed path's
// pointers at them; both give way to libc once the host starts a thread or
// cancels one (thread_hooks.cpp sets shim::kModeLibcCalls).
//
// Only cancellable calls are here: for the others (socket, dup2,
// shutdown...) glibc's wrapper costs nothing extra with threads. select and
// pselect stay with libc (their timeout conversions are glibc's business).
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "interpose_table.h"
#include "raw_syscall.h"
#include "thread_interpose_table.h"

#define FAULTLINE_DIRECT_CALLS(X)                                                                          \
  X(connect)                                                                                               \
  X(accept)                                                                                                \
  X(accept4)                                                                                               \
  X(send)                                                                                                  \
  X(sendto) X(sendmsg) X(recv) X(recvfrom) X(recvmsg) X(read) X(write) X(readv) X(writev) X(close)         \
      X(__recv_chk) X(__recvfrom_chk) X(__read_chk) X(sendmmsg) X(recvmmsg) X(poll) X(ppoll) X(epoll_wait) \
          X(epoll_pwait)

#ifdef FAULTLINE_RAW_SYSCALLS
// glibc's fortify failure: reports "buffer overflow detected" and aborts.
extern "C" [[noreturn]] void __chk_fail(void);
#endif

namespace faultline::preload::direct {

#define FAULTLINE_CALL_ENUM(ret, name, params, args) name,
// One enumerator per interposed function, to name an entry in templates.
enum class Call {
  FAULTLINE_INTERPOSED(FAULTLINE_CALL_ENUM) FAULTLINE_INTERPOSED_THREADS(FAULTLINE_CALL_ENUM)
};
#undef FAULTLINE_CALL_ENUM

// Direct<Call::x>::fn is the direct version of x where there is one, and
// has_direct<Call::x> says whether there is.
template <Call>
struct Direct {};
template <Call C>
inline constexpr bool has_direct = requires {
  Direct<C>::fn;
};

}  // namespace faultline::preload::direct

#ifdef FAULTLINE_RAW_SYSCALLS

namespace faultline::preload::direct {
namespace detail {

inline long arg(const void* p) noexcept {
  return reinterpret_cast<long>(p);
}
inline long arg(unsigned long v) noexcept {
  return static_cast<long>(v);
}

// The kernel's sigset is _NSIG bits, not glibc's 1024.
inline constexpr long kKernelSigsetBytes = _NSIG / 8;

}  // namespace detail

inline int connect(int fd, const struct sockaddr* addr, socklen_t addr_len) noexcept {
  return sys::to_result<int>(sys::raw(SYS_connect, fd, detail::arg(addr), addr_len));
}

inline int accept(int fd, struct sockaddr* addr, socklen_t* addr_len) noexcept {
  return sys::to_result<int>(sys::raw(SYS_accept, fd, detail::arg(addr), detail::arg(addr_len)));
}

inline int accept4(int fd, struct sockaddr* addr, socklen_t* addr_len, int flags) noexcept {
  return sys::to_result<int>(sys::raw(SYS_accept4, fd, detail::arg(addr), detail::arg(addr_len), flags));
}

inline ssize_t send(int fd, const void* buf, size_t len, int flags) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_sendto, fd, detail::arg(buf), detail::arg(len), flags, 0, 0));
}

inline ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr,
                      socklen_t addr_len) noexcept {
  return sys::to_result<ssize_t>(
      sys::raw(SYS_sendto, fd, detail::arg(buf), detail::arg(len), flags, detail::arg(addr), addr_len));
}

inline ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_sendmsg, fd, detail::arg(msg), flags));
}

inline ssize_t recv(int fd, void* buf, size_t len, int flags) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_recvfrom, fd, detail::arg(buf), detail::arg(len), flags, 0, 0));
}

inline ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* addr,
                        socklen_t* addr_len) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_recvfrom, fd, detail::arg(buf), detail::arg(len), flags,
                                          detail::arg(addr), detail::arg(addr_len)));
}

inline ssize_t recvmsg(int fd, struct msghdr* msg, int flags) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_recvmsg, fd, detail::arg(msg), flags));
}

inline ssize_t read(int fd, void* buf, size_t len) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_read, fd, detail::arg(buf), detail::arg(len)));
}

inline ssize_t write(int fd, const void* buf, size_t len) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_write, fd, detail::arg(buf), detail::arg(len)));
}

inline ssize_t readv(int fd, const struct iovec* iov, int iovcnt) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_readv, fd, detail::arg(iov), iovcnt));
}

inline ssize_t writev(int fd, const struct iovec* iov, int iovcnt) noexcept {
  return sys::to_result<ssize_t>(sys::raw(SYS_writev, fd, detail::arg(iov), iovcnt));
}

inline int close(int fd) noexcept {
  return sys::to_result<int>(sys::raw(SYS_close, fd));
}

// The fortify checks come first, as in glibc: a length larger than the
// buffer the compiler saw is a bug that must abort, not a read.
inline ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buf_len, int flags) noexcept {
  if (len > buf_len) __chk_fail();
  return direct::recv(fd, buf, len, flags);
}

inline ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buf_len, int flags, struct sockaddr* addr,
                              socklen_t* addr_len) noexcept {
  if (len > buf_len) __chk_fail();
  return direct::recvfrom(fd, buf, len, flags, addr, addr_len);
}

inline ssize_t __read_chk(int fd, void* buf, size_t len, size_t buf_len) noexcept {
  if (len > buf_len) __chk_fail();
  return direct::read(fd, buf, len);
}

inline int sendmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags) noexcept {
  return sys::to_result<int>(sys::raw(SYS_sendmmsg, fd, detail::arg(vec), vlen, flags));
}

inline int recvmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags,
                    struct timespec* timeout) noexcept {
  return sys::to_result<int>(sys::raw(SYS_recvmmsg, fd, detail::arg(vec), vlen, flags, detail::arg(timeout)));
}

// ppoll's kernel call writes the time left into its timeout, which the
// caller passed as const: glibc copies it first, and so does this.
inline int ppoll(struct pollfd* fds, nfds_t nfds, const struct timespec* timeout,
                 const sigset_t* sigmask) noexcept {
  struct timespec left {};
  if (timeout != nullptr) left = *timeout;
  return sys::to_result<int>(sys::raw(SYS_ppoll, detail::arg(fds), detail::arg(nfds),
                                      timeout != nullptr ? detail::arg(&left) : 0, detail::arg(sigmask),
                                      detail::kKernelSigsetBytes));
}

inline int poll(struct pollfd* fds, nfds_t nfds, int timeout) noexcept {
#ifdef SYS_poll
  return sys::to_result<int>(sys::raw(SYS_poll, detail::arg(fds), detail::arg(nfds), timeout));
#else
  // aarch64 has only ppoll; a negative timeout means none.
  if (timeout < 0) return direct::ppoll(fds, nfds, nullptr, nullptr);
  const struct timespec ts { timeout / 1000, static_cast<long>(timeout % 1000) * 1'000'000 };
  return direct::ppoll(fds, nfds, &ts, nullptr);
#endif
}

inline int epoll_pwait(int epfd, struct epoll_event* events, int maxevents, int timeout,
                       const sigset_t* sigmask) noexcept {
  return sys::to_result<int>(sys::raw(SYS_epoll_pwait, epfd, detail::arg(events), maxevents, timeout,
                                      detail::arg(sigmask), detail::kKernelSigsetBytes));
}

inline int epoll_wait(int epfd, struct epoll_event* events, int maxevents, int timeout) noexcept {
#ifdef SYS_epoll_wait
  return sys::to_result<int>(sys::raw(SYS_epoll_wait, epfd, detail::arg(events), maxevents, timeout));
#else
  return direct::epoll_pwait(epfd, events, maxevents, timeout, nullptr);
#endif
}

#define FAULTLINE_DIRECT_ENTRY(name)    \
  template <>                           \
  struct Direct<Call::name> {           \
    static constexpr auto fn = &(name); \
  };
FAULTLINE_DIRECT_CALLS(FAULTLINE_DIRECT_ENTRY)
#undef FAULTLINE_DIRECT_ENTRY

}  // namespace faultline::preload::direct

#endif  // FAULTLINE_RAW_SYSCALLS
