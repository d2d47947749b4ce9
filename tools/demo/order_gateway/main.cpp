// order_gateway: the front of the replicated order service. Clients send
// orders and health checks here; it routes each to a replica that answers
// (gateway_api.h, replica_router.h).
//
//   order_gateway --http 127.0.0.1:8080 --replicas 127.0.0.1:8081,127.0.0.1:8082,127.0.0.1:8083

#include <CLI/CLI.hpp>

#include "faultline/demo/http_server_thread.h"
#include "faultline/demo/logging.h"
#include "faultline/demo/stop_signals.h"
#include "gateway_api.h"

int main(int argc, char** argv) {
  using namespace faultline::demo;
  install_stop_signals();
  init_logging("order_gateway");

  std::string http_text = "127.0.0.1:8080";
  std::vector<std::string> replica_texts = {"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"};
  RouterTimeouts timeouts;
  std::int64_t connect_ms = timeouts.connect.count(), response_ms = timeouts.response.count();
  const CLI::AsNumberWithUnit milliseconds(std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}});

  CLI::App app{"Routes orders and health checks to order-service replicas, failing over between them"};
  app.add_option("--http", http_text, "IPV4:PORT the gateway serves on")->capture_default_str();
  app.add_option("--replicas", replica_texts, "IPV4:PORT of each replica")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_ms, "connect timeout per replica")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("--response-timeout", response_ms, "response timeout per replica")
      ->transform(milliseconds)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  timeouts.connect = std::chrono::milliseconds(connect_ms);
  timeouts.response = std::chrono::milliseconds(response_ms);

  const auto http = parse_endpoint(http_text);
  std::vector<Endpoint> replicas;
  for (const auto& text : replica_texts) {
    const auto replica = parse_endpoint(text);
    if (!replica) {
      spdlog::error("--replicas: '{}' is not IPV4:PORT", text);
      return 2;
    }
    replicas.push_back(*replica);
  }
  if (!http || replicas.empty()) {
    spdlog::error("--http takes IPV4:PORT (got '{}') and --replicas at least one replica", http_text);
    return 2;
  }

  try {
    ReplicaRouter router(replicas, timeouts);
    httplib::Server server;
    register_gateway_api(server, router);
    HttpServerThread http_thread(server, *http);
    spdlog::info("HTTP on {}, {} replicas", http->to_string(), replicas.size());
    const int signal = *wait_for_stop_signal();
    spdlog::info("signal {}: stopping", signal);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  return 0;
}
