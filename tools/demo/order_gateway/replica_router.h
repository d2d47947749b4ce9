// Sends a request to one order-service replica after another, in
// round-robin order, until one answers: the front a trading desk puts before
// replicated order entry (the seed's `http://order-service` Kubernetes
// Service). A replica that cannot be reached, drops the connection or
// answers 5xx is skipped and the next one tried; each replica at most once
// per request, and all attempts within one response timeout. Retrying after a dropped connection is safe
// because orders carry a client_order_id that the order service fills at most once.
//
// Each attempt opens its own connection: a pooled keep-alive connection to a
// replica that was killed would fail the next request on it for nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "faultline/demo/endpoint.h"

namespace faultline::demo {

struct RouterTimeouts {
  std::chrono::milliseconds connect{250};
  // How long one request may take over all its attempts: a client gets an
  // answer (503 at worst) within it. As long as an order service's database
  // budget, so a slow but working replica is not abandoned mid-order.
  std::chrono::milliseconds response{5000};
};

struct RoutedResponse {
  int status = 0;    // the answering replica's status; 503 when none answered
  std::string body;  // its body, or a JSON error naming every failed attempt
  std::string content_type = "application/json";
  std::string replica;                // HOST:PORT that answered ("" when none)
  std::vector<std::string> failures;  // one line per replica that did not
};

class ReplicaRouter {
 public:
  ReplicaRouter(std::vector<Endpoint> replicas, RouterTimeouts timeouts);

  // method is "GET" or "POST"; `body` is sent as application/json.
  RoutedResponse route(const std::string& method, const std::string& path, const std::string& body);

  // Asks one replica only, waiting at most `timeout` for its answer.
  RoutedResponse ask(const Endpoint& replica, const std::string& method, const std::string& path,
                     const std::string& body, std::chrono::milliseconds timeout) const;

  const std::vector<Endpoint>& replicas() const { return replicas_; }

 private:
  std::vector<Endpoint> replicas_;
  RouterTimeouts timeouts_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace faultline::demo
