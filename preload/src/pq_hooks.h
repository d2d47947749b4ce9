// What the socket wrappers need from the libpq ones: pq-refuse makes libpq's
// own connect() calls fail with ECONNREFUSED while a refused PQconnect* (or
// PQreset) runs on the thread, so libpq itself reports its genuine
// "Connection refused" (with the real host, port or socket path) and leaves
// the connection in CONNECTION_BAD.
#pragma once

#include <sys/socket.h>

namespace faultline::preload {

extern constinit thread_local bool t_pq_refusing __attribute__((tls_model("initial-exec")));

// True if this connect() must be refused: the thread is inside a refused
// libpq connect, and `fd` is a stream socket to an inet address or to a
// PostgreSQL unix socket (".s.PGSQL.<port>"), not, say, a DNS lookup.
bool pq_refuse_connect_slow(int fd, const sockaddr* addr, socklen_t addr_len) noexcept;
inline bool pq_refuses_connect(int fd, const sockaddr* addr, socklen_t addr_len) noexcept {
  return t_pq_refusing && pq_refuse_connect_slow(fd, addr, addr_len);
}

}  // namespace faultline::preload
