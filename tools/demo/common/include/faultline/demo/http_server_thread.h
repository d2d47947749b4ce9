// Serves an httplib::Server on a thread of its own, bound before the
// constructor returns (so a taken port fails at start, not later), stopped
// and joined by the destructor.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "faultline/demo/endpoint.h"

namespace faultline::demo {

class HttpServerThread {
 public:
  // Throws std::runtime_error when `listen` cannot be bound. Port 0 binds
  // any free port (see port()). httplib gives each keep-alive connection a
  // worker thread for as long as it lasts, so `threads` bounds how many
  // clients are served at once; the others queue.
  HttpServerThread(httplib::Server& server, const Endpoint& listen, std::size_t threads = 32);
  ~HttpServerThread();
  HttpServerThread(const HttpServerThread&) = delete;
  HttpServerThread& operator=(const HttpServerThread&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  httplib::Server& server_;
  std::uint16_t port_ = 0;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace faultline::demo
