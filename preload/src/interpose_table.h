// Every function libfaultline.so interposes, declared once:
//   X(return type, name, (parameters), (arguments))
// The table is expanded into the pointer to the real function and its lazy
// resolver (real_symbols.h/.cpp) and into the exported wrapper, whose idle
// path is one relaxed load and the call (wrappers.cpp). What a wrapper does
// when armed is written by hand in armed_*.cpp, one function per entry.
//
// The fortify variants (__recv_chk, __recvfrom_chk, __read_chk) are what a
// program built with _FORTIFY_SOURCE calls instead of recv, recvfrom and
// read. dup2 and dup3 are here because they silently close their target
// descriptor, which the descriptor cache must hear about. sendmmsg and
// recvmmsg go message by message when a fault selects their socket
// (armed_mmsg.cpp). shutdown and the
// readiness calls (FAULTLINE_INTERPOSED_READINESS) are here for the delay
// line: a shutdown waits behind queued data, and a descriptor whose ingress
// is held is readable when the line says so (armed_readiness.cpp).
// getaddrinfo (FAULTLINE_INTERPOSED_NAMES) is here for dns faults
// (armed_dns.cpp).
#pragma once

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define FAULTLINE_INTERPOSED_READINESS(X)                                                                    \
  X(int, shutdown, (int fd, int how), (fd, how))                                                             \
  X(int, poll, (struct pollfd * fds, nfds_t nfds, int timeout), (fds, nfds, timeout))                        \
  X(int, ppoll, (struct pollfd * fds, nfds_t nfds, const struct timespec* timeout, const sigset_t* sigmask), \
    (fds, nfds, timeout, sigmask))                                                                           \
  X(int, select, (int nfds, fd_set* rfds, fd_set* wfds, fd_set* efds, struct timeval* timeout),              \
    (nfds, rfds, wfds, efds, timeout))                                                                       \
  X(int, pselect,                                                                                            \
    (int nfds, fd_set* rfds, fd_set* wfds, fd_set* efds, const struct timespec* timeout,                     \
     const sigset_t* sigmask),                                                                               \
    (nfds, rfds, wfds, efds, timeout, sigmask))                                                              \
  X(int, epoll_wait, (int epfd, struct epoll_event* events, int maxevents, int timeout),                     \
    (epfd, events, maxevents, timeout))                                                                      \
  X(int, epoll_pwait,                                                                                        \
    (int epfd, struct epoll_event* events, int maxevents, int timeout, const sigset_t* sigmask),             \
    (epfd, events, maxevents, timeout, sigmask))

#define FAULTLINE_INTERPOSED_NAMES(X)                                                                \
  X(int, getaddrinfo,                                                                                \
    (const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** result), \
    (node, service, hints, result))

#define FAULTLINE_INTERPOSED(X)                                                                             \
  X(int, socket, (int domain, int type, int protocol), (domain, type, protocol))                            \
  X(int, connect, (int fd, const struct sockaddr* addr, socklen_t addr_len), (fd, addr, addr_len))          \
  X(int, accept, (int fd, struct sockaddr* addr, socklen_t* addr_len), (fd, addr, addr_len))                \
  X(int, accept4, (int fd, struct sockaddr* addr, socklen_t* addr_len, int flags),                          \
    (fd, addr, addr_len, flags))                                                                            \
  X(ssize_t, send, (int fd, const void* buf, size_t len, int flags), (fd, buf, len, flags))                 \
  X(ssize_t, sendto,                                                                                        \
    (int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr, socklen_t addr_len),      \
    (fd, buf, len, flags, addr, addr_len))                                                                  \
  X(ssize_t, sendmsg, (int fd, const struct msghdr* msg, int flags), (fd, msg, flags))                      \
  X(ssize_t, recv, (int fd, void* buf, size_t len, int flags), (fd, buf, len, flags))                       \
  X(ssize_t, recvfrom,                                                                                      \
    (int fd, void* buf, size_t len, int flags, struct sockaddr* addr, socklen_t* addr_len),                 \
    (fd, buf, len, flags, addr, addr_len))                                                                  \
  X(ssize_t, recvmsg, (int fd, struct msghdr* msg, int flags), (fd, msg, flags))                            \
  X(ssize_t, read, (int fd, void* buf, size_t len), (fd, buf, len))                                         \
  X(ssize_t, write, (int fd, const void* buf, size_t len), (fd, buf, len))                                  \
  X(ssize_t, readv, (int fd, const struct iovec* iov, int iovcnt), (fd, iov, iovcnt))                       \
  X(ssize_t, writev, (int fd, const struct iovec* iov, int iovcnt), (fd, iov, iovcnt))                      \
  X(int, close, (int fd), (fd))                                                                             \
  X(int, dup2, (int old_fd, int new_fd), (old_fd, new_fd))                                                  \
  X(int, dup3, (int old_fd, int new_fd, int flags), (old_fd, new_fd, flags))                                \
  X(ssize_t, __recv_chk, (int fd, void* buf, size_t len, size_t buf_len, int flags),                        \
    (fd, buf, len, buf_len, flags))                                                                         \
  X(ssize_t, __recvfrom_chk,                                                                                \
    (int fd, void* buf, size_t len, size_t buf_len, int flags, struct sockaddr* addr, socklen_t* addr_len), \
    (fd, buf, len, buf_len, flags, addr, addr_len))                                                         \
  X(ssize_t, __read_chk, (int fd, void* buf, size_t len, size_t buf_len), (fd, buf, len, buf_len))          \
  X(int, sendmmsg, (int fd, struct mmsghdr* vec, unsigned int vlen, int flags), (fd, vec, vlen, flags))     \
  X(int, recvmmsg, (int fd, struct mmsghdr* vec, unsigned int vlen, int flags, struct timespec* timeout),   \
    (fd, vec, vlen, flags, timeout))                                                                        \
  FAULTLINE_INTERPOSED_READINESS(X)                                                                         \
  FAULTLINE_INTERPOSED_NAMES(X)
