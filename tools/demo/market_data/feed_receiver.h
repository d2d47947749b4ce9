// Reads the exchange feed with an epoll event loop over a non-blocking UDP
// socket, the way a market-data handler does, and applies every quote to the
// book. stop() may be called from any thread; it wakes the loop through an
// eventfd it watches beside the socket.
#pragma once

#include <cstdint>

#include "faultline/demo/endpoint.h"
#include "quote_book.h"

namespace faultline::demo {

class FeedReceiver {
 public:
  // Binds the UDP socket; throws std::system_error when it cannot.
  FeedReceiver(const Endpoint& listen, QuoteBook& book);
  ~FeedReceiver();
  FeedReceiver(const FeedReceiver&) = delete;
  FeedReceiver& operator=(const FeedReceiver&) = delete;

  // The port actually bound (useful when listening on port 0).
  std::uint16_t port() const;

  // Runs the loop on the calling thread until stop().
  void run();
  void stop();

 private:
  void drain_socket();

  QuoteBook& book_;
  int socket_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
};

}  // namespace faultline::demo
