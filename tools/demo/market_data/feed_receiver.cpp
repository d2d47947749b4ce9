#include "feed_receiver.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "faultline/demo/wall_clock.h"

namespace faultline::demo {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Room for a burst (a delayed backlog released at once) without kernel drops.
constexpr int kReceiveBufferBytes = 4 << 20;
// Datagrams read per wakeup before the loop looks at stop again.
constexpr int kMaxDatagramsPerWakeup = 4096;

}  // namespace

FeedReceiver::FeedReceiver(const Endpoint& listen, QuoteBook& book) : book_(book) {
  socket_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket_fd_ < 0) throw_errno("socket");
  setsockopt(socket_fd_, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
  const sockaddr_in address = listen.to_sockaddr();
  if (bind(socket_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    close(socket_fd_);
    throw std::system_error(error, std::generic_category(), "bind " + listen.to_string());
  }

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || stop_fd_ < 0) throw_errno("epoll/eventfd");
  epoll_event socket_event{EPOLLIN, {.fd = socket_fd_}};
  epoll_event stop_event{EPOLLIN, {.fd = stop_fd_}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket_fd_, &socket_event) != 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop_event) != 0)
    throw_errno("epoll_ctl");
}

FeedReceiver::~FeedReceiver() {
  for (const int fd : {socket_fd_, epoll_fd_, stop_fd_}) {
    if (fd >= 0) close(fd);
  }
}

std::uint16_t FeedReceiver::port() const {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(socket_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

void FeedReceiver::run() {
  std::array<epoll_event, 4> events{};
  for (;;) {
    const int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < ready; ++i) {
      if (events[static_cast<std::size_t>(i)].data.fd == stop_fd_) return;
      drain_socket();
    }
  }
}

void FeedReceiver::stop() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = write(stop_fd_, &one, sizeof one);
}

void FeedReceiver::drain_socket() {
  // One byte more than a quote, so an oversized datagram is seen as such.
  std::array<std::byte, kQuoteWireSize + 1> datagram{};
  for (int i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    const ssize_t size = recv(socket_fd_, datagram.data(), datagram.size(), 0);
    if (size < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: drained (other errors: a later readiness retries)
    }
    const auto quote = decode_quote(std::span(datagram.data(), static_cast<std::size_t>(size)));
    if (quote) {
      book_.apply(*quote, wall_clock_ns());
    } else {
      book_.count_malformed();
    }
  }
}

}  // namespace faultline::demo
