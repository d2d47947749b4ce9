// tcp provider: can a TCP connection be opened? {"host", "port", "timeout"}
// -> true/false; the connect time goes to the run's latency statistics.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "provider.h"

namespace faultline::experiment {

using Json = nlohmann::json;

std::optional<ProviderProblem> validate_tcp_provider(const Json& provider) {
  const auto port = provider.find("port");
  if (port == provider.end() || !port->is_number_integer() || port->get<int>() < 1 ||
      port->get<int>() > 65535)
    return ProviderProblem{port == provider.end() ? "" : "port",
                           "tcp provider needs 'port' between 1 and 65535"};
  if (provider.contains("host") && !provider["host"].is_string())
    return ProviderProblem{"host", "tcp 'host' must be a string (a name or an address)"};
  return std::nullopt;
}

ProviderOutput run_tcp_provider(const Activity& activity, RunContext&, const std::atomic<bool>* cancel) {
  const Json& p = activity.provider;
  const std::string host = p.value("host", "127.0.0.1");
  const std::string port = std::to_string(p["port"].get<int>());
  const auto timeout = provider_timeout(p, std::chrono::seconds(2)).value_or(std::chrono::seconds(2));

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0)
    throw ActivityFailed("cannot resolve " + host + ": " + gai_strerror(rc));
  const auto start = std::chrono::steady_clock::now();
  bool connected = false;
  for (addrinfo* ai = list; ai != nullptr && !connected; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      while (true) {
        const auto left = timeout - (std::chrono::steady_clock::now() - start);
        if (left <= std::chrono::nanoseconds(0) || (cancel != nullptr && cancel->load())) break;
        pollfd pfd{fd, POLLOUT, 0};
        const int ms = static_cast<int>(std::min<std::int64_t>(
            10, std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1));
        if (::poll(&pfd, 1, ms) > 0) {
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          connected = err == 0;
          break;
        }
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(list);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ProviderOutput out{connected, std::nullopt, {}};
  if (connected) out.latency_ms = ms;
  return out;
}

}  // namespace faultline::experiment
