#include "replica_router.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace faultline::demo {

ReplicaRouter::ReplicaRouter(std::vector<Endpoint> replicas, RouterTimeouts timeouts)
    : replicas_(std::move(replicas)), timeouts_(timeouts) {}

RoutedResponse ReplicaRouter::ask(const Endpoint& replica, const std::string& method, const std::string& path,
                                  const std::string& body) const {
  httplib::Client client(replica.host, replica.port);
  client.set_keep_alive(false);
  client.set_tcp_nodelay(true);  // headers and body go out as separate writes
  client.set_connection_timeout(timeouts_.connect);
  client.set_read_timeout(timeouts_.response);
  client.set_write_timeout(timeouts_.response);

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
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> failures;
  for (std::size_t attempt = 0; attempt < replicas_.size(); ++attempt) {
    RoutedResponse response = ask(replicas_[(first + attempt) % replicas_.size()], method, path, body);
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
