#include "light_calls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench_support.h"
#include "faultline/testing/loopback.h"

namespace faultline::bench {
namespace {

template <class Fn>
Fn as_function(void* symbol, const char* name) {
  if (symbol == nullptr) throw std::runtime_error(std::string("no definition of ") + name);
  Fn fn = nullptr;
  static_assert(sizeof fn == sizeof symbol);
  std::memcpy(&fn, &symbol, sizeof fn);  // object to function pointer, as dlsym intends
  return fn;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("light call sockets: ") + what + ": " + std::strerror(errno));
}

// Sends until the kernel refuses; true once a send fails with EAGAIN right
// away (the loopback peer's window and our send buffer are both full).
bool fill(int fd) {
  static const char chunk[4096] = {};
  bool first = true;
  for (;;) {
    if (::send(fd, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return first && errno == EAGAIN;
    first = false;
  }
}

}  // namespace

const char* name_of(LightCall call) noexcept {
  switch (call) {
    case LightCall::kReadEbadf:
      return "read_ebadf";
    case LightCall::kRecvEagain:
      return "recv_eagain";
    case LightCall::kSendEagain:
      return "send_eagain";
  }
  return "?";
}

CallTargets interposed_targets() {
  return {as_function<ReadFn>(global_function("read"), "read"),
          as_function<RecvFn>(global_function("recv"), "recv"),
          as_function<SendFn>(global_function("send"), "send")};
}

CallTargets direct_targets() {
  return {as_function<ReadFn>(libc_function("read"), "read"),
          as_function<RecvFn>(libc_function("recv"), "recv"),
          as_function<SendFn>(libc_function("send"), "send")};
}

LightCallSockets::LightCallSockets() {
  udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  check(udp_ >= 0 && testing::bind_loopback(udp_) != 0, "udp socket");

  // Small buffers on both ends so that they fill in a few sends.
  const int small = 4096;
  tcp_listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(tcp_listener_ >= 0, "tcp listener");
  ::setsockopt(tcp_listener_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  tcp_port_ = testing::bind_loopback(tcp_listener_);
  check(tcp_port_ != 0 && ::listen(tcp_listener_, 1) == 0, "tcp listen");
  tcp_client_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(tcp_client_ >= 0, "tcp client");
  ::setsockopt(tcp_client_, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const sockaddr_in listening = testing::loopback(tcp_port_);
  check(::connect(tcp_client_, reinterpret_cast<const sockaddr*>(&listening), sizeof listening) == 0,
        "tcp connect");
  tcp_server_ = ::accept4(tcp_listener_, nullptr, nullptr, SOCK_CLOEXEC);
  check(tcp_server_ >= 0, "tcp accept");
  // The peer's window may open once more as its receive queue settles.
  for (int attempt = 0; attempt < 50 && !fill(tcp_client_); ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool full = ::send(tcp_client_, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EAGAIN;
  check(full, "tcp send buffer not full");
}

LightCallSockets::~LightCallSockets() {
  for (int fd : {udp_, tcp_client_, tcp_server_, tcp_listener_})
    if (fd >= 0) ::close(fd);
}

}  // namespace faultline::bench
