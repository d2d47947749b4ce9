#include "replica_router.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace faultline::demo {
namespace {

// Below this, another attempt could not get an answer from a working replica.
constexpr std::chrono::milliseconds kShortestAttempt{20};

}  // namespace

ReplicaRouter::ReplicaRouter(std::vector<Endpoint> replicas, RouterTimeouts timeouts)
    : replicas_(std::move(replicas)), timeouts_(timeouts) {}

RoutedResponse ReplicaRouter::ask(const Endpoint& replica, const std::string& method, const std::string& path,
                                  const std::string& body, std::chrono::milliseconds timeout) const {
  httplib::Client client(replica.host, replica.port);
  client.set_keep_alive(false);
  client.set_tcp_nodelay(true);  // headers and body go out as separate writes
  client.set_connection_timeout(std::min(timeouts_.connect, timeout));
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);

  const httplib::Result result =
      method == "POST" ? client.Post(path, body, "application/json") : client.Get(path);
  RoutedResponse response;
  response.replica = replica.to_string();
  if (!result) {
    response.status = 0;
    response.failures.push_back(response.replica + ": " + httplib::to_string(result.error()));
    return response;
  }
  response.status = result->status;
  response.body = result->body;
  response.content_type = result->get_header_value("Content-Type");
  if (response.status >= 500)
    response.failures.push_back(response.replica + ": HTTP " + std::to_string(response.status));
  return response;
}

RoutedResponse ReplicaRouter::route(const std::string& method, const std::string& path,
                                    const std::string& body) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeouts_.response;
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> failures;
  for (std::size_t attempt = 0; attempt < replicas_.size(); ++attempt) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left < kShortestAttempt) {
      failures.push_back("no time left for another replica");
      break;
    }
    RoutedResponse response = ask(replicas_[(first + attempt) % replicas_.size()], method, path, body, left);
    if (response.status != 0 && response.status < 500) {
      response.failures = std::move(failures);
      return response;
    }
    failures.insert(failures.end(), response.failures.begin(), response.failures.end());
  }
  RoutedResponse none;
  none.status = 503;
  none.body = nlohmann::json{{"error", "no order-service replica answered"}, {"attempts", failures}}.dump();
  none.failures = std::move(failures);
  return none;
}

}  // namespace faultline::demo
