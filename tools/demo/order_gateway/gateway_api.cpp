#include "gateway_api.h"

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "faultline/demo/order.h"
#include "faultline/demo/wall_clock.h"

namespace faultline::demo {
namespace {

// Per replica on the status page: a hung replica shows as such quickly.
constexpr std::chrono::milliseconds kReplicaStatusTimeout{1000};

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

// Ids unique across gateway restarts: the start time keeps a restarted
// gateway from reusing an id that is already filled.
std::string next_client_order_id() {
  static const std::int64_t start_ns = wall_clock_ns();
  static std::atomic<std::uint64_t> counter{0};
  return "gw-" + std::to_string(start_ns) + "-" + std::to_string(counter.fetch_add(1) + 1);
}

}  // namespace

void register_gateway_api(httplib::Server& server, ReplicaRouter& router) {
  server.Post("/api/orders", [&router](const httplib::Request& request, httplib::Response& response) {
    Order order;
    try {
      order = parse_order(request.body);
    } catch (const std::invalid_argument& error) {
      return reply(response, 400, {{"error", error.what()}});
    }
    if (order.client_order_id.empty()) order.client_order_id = next_client_order_id();

    const RoutedResponse routed = router.route("POST", "/api/orders", to_json(order));
    response.status = routed.status;
    response.set_content(routed.body, routed.content_type.empty() ? "application/json" : routed.content_type);
    if (!routed.replica.empty()) response.set_header("X-Order-Replica", routed.replica);
  });

  const auto health = [&router](const httplib::Request&, httplib::Response& response) {
    const RoutedResponse routed = router.route("GET", "/api/health", "");
    if (routed.status == 200) return reply(response, 200, {{"status", "ok"}, {"replica", routed.replica}});
    reply(response, 503, {{"status", "unavailable"}, {"attempts", routed.failures}});
  };
  server.Get("/api/health", health);
  server.Post("/api/health", health);

  server.Get("/api/replicas", [&router](const httplib::Request&, httplib::Response& response) {
    nlohmann::json replicas = nlohmann::json::array();
    for (const Endpoint& replica : router.replicas()) {
      const RoutedResponse answer = router.ask(replica, "GET", "/api/health", "", kReplicaStatusTimeout);
      nlohmann::json entry = {{"replica", replica.to_string()}, {"healthy", answer.status == 200}};
      if (answer.status != 0) entry["status"] = answer.status;
      if (!answer.failures.empty()) entry["error"] = answer.failures.front();
      replicas.push_back(std::move(entry));
    }
    reply(response, 200, {{"replicas", replicas}});
  });
}

}  // namespace faultline::demo
