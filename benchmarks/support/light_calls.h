// Intercepted calls that enter the kernel and return at once, so that the
// few nanoseconds a wrapper adds are a visible share of the call:
//   read_ebadf   read(-1, ...)                          -> EBADF
//   recv_eagain  recv(MSG_DONTWAIT) on an empty UDP socket -> EAGAIN
//   send_eagain  send(MSG_DONTWAIT) on a TCP connection whose peer never
//                reads and whose buffers are full         -> EAGAIN
// Each is made through a function pointer: either what a call by name
// reaches (the interposer's wrapper, when one is preloaded) or libc's own
// definition, so both sides of a comparison call the same way.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace faultline::bench {

enum class LightCall { kReadEbadf, kRecvEagain, kSendEagain };
const char* name_of(LightCall call) noexcept;

using ReadFn = ssize_t (*)(int, void*, std::size_t);
using RecvFn = ssize_t (*)(int, void*, std::size_t, int);
using SendFn = ssize_t (*)(int, const void*, std::size_t, int);

struct CallTargets {
  ReadFn read;
  RecvFn recv;
  SendFn send;
};
// The wrappers a program's calls reach (libc's when nothing is preloaded).
CallTargets interposed_targets();
// libc's own definitions.
CallTargets direct_targets();

// The sockets the calls use. Throws std::runtime_error if they cannot be set up.
class LightCallSockets {
 public:
  LightCallSockets();
  ~LightCallSockets();
  LightCallSockets(const LightCallSockets&) = delete;
  LightCallSockets& operator=(const LightCallSockets&) = delete;

  int empty_udp() const noexcept { return udp_; }
  int full_tcp() const noexcept { return tcp_client_; }
  std::uint16_t full_tcp_peer_port() const noexcept { return tcp_port_; }

 private:
  int udp_ = -1, tcp_listener_ = -1, tcp_client_ = -1, tcp_server_ = -1;
  std::uint16_t tcp_port_ = 0;
};

// One call of `C` through `targets`; returns its result (-1 expected).
template <LightCall C>
inline ssize_t make_call(const CallTargets& targets, const LightCallSockets& sockets) {
  static char buffer[64];
  if constexpr (C == LightCall::kReadEbadf)
    return targets.read(-1, buffer, sizeof buffer);
  else if constexpr (C == LightCall::kRecvEagain)
    return targets.recv(sockets.empty_udp(), buffer, sizeof buffer, MSG_DONTWAIT);
  else
    return targets.send(sockets.full_tcp(), buffer, sizeof buffer, MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace faultline::bench
