#include "faultline/demo/http_server_thread.h"

#include <chrono>
#include <stdexcept>

namespace faultline::demo {

HttpServerThread::HttpServerThread(httplib::Server& server, const Endpoint& listen, std::size_t threads)
    : server_(server) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib writes headers and body separately: with Nagle's algorithm on,
  // the body waits for the peer's delayed ACK (40 ms on Linux).
  server_.set_tcp_nodelay(true);
  // SO_REUSEADDR so a restarted replica can bind while its predecessor's
  // connections sit in TIME_WAIT, and not httplib's default SO_REUSEPORT,
  // which would let a second process silently share a port that is taken.
  server_.set_socket_options([](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (listen.port == 0) {
    const int port = server_.bind_to_any_port(listen.host);
    if (port <= 0) throw std::runtime_error("cannot bind an HTTP port on " + listen.host);
    port_ = static_cast<std::uint16_t>(port);
  } else {
    if (!server_.bind_to_port(listen.host, listen.port))
      throw std::runtime_error("cannot bind HTTP " + listen.to_string() + " (port in use?)");
    port_ = listen.port;
  }
  thread_ = std::thread([this] {
    server_.listen_after_bind();
    finished_.store(true);
  });
}

HttpServerThread::~HttpServerThread() {
  // Server::stop() acts only on a listening server: wait until the thread has
  // started listening (or given up) so the stop cannot be lost.
  while (!server_.is_running() && !finished_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_.stop();
  thread_.join();
}

}  // namespace faultline::demo
