// The gateway in front of the order-service replicas, against replicas
// played by in-process HTTP servers: round robin, failover, health.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "demo_processes.h"
#include "faultline/demo/http_server_thread.h"
#include "faultline/demo/order.h"
#include "gateway_api.h"

namespace faultline::demo {
namespace {

using namespace faultline::demo::testing;

constexpr const char* kOrder = R"({"symbol":"AAPL","side":"buy","qty":100,"price":187.25})";

// A replica whose answers the test sets.
class FakeReplica {
 public:
  FakeReplica() {
    server_.Post("/api/orders", [this](const httplib::Request& request, httplib::Response& response) {
      {
        std::lock_guard lock(mutex_);
        last_order_ = request.body;
      }
      ++orders_;
      std::this_thread::sleep_for(std::chrono::milliseconds(answer_after_ms.load()));
      response.status = order_status.load();
      response.set_content(R"({"trade_id":1})", "application/json");
    });
    server_.Get("/api/health", [this](const httplib::Request&, httplib::Response& response) {
      response.status = health_status.load();
      response.set_content("{}", "application/json");
    });
    thread_ = std::make_unique<HttpServerThread>(server_, Endpoint{"127.0.0.1", 0}, 4);
  }

  Endpoint endpoint() const { return {"127.0.0.1", thread_->port()}; }
  int orders() const { return orders_.load(); }
  std::string last_order() const {
    std::lock_guard lock(mutex_);
    return last_order_;
  }

  std::atomic<int> order_status{201}, health_status{200}, answer_after_ms{0};

 private:
  httplib::Server server_;
  std::unique_ptr<HttpServerThread> thread_;
  std::atomic<int> orders_{0};
  mutable std::mutex mutex_;
  std::string last_order_;
};

Endpoint nobody_listening() {
  return {"127.0.0.1", free_tcp_port()};
}

class Gateway {
 public:
  explicit Gateway(std::vector<Endpoint> replicas, RouterTimeouts timeouts = {})
      : router_(std::move(replicas), timeouts) {
    register_gateway_api(server_, router_);
    thread_ = std::make_unique<HttpServerThread>(server_, Endpoint{"127.0.0.1", 0}, 4);
  }
  std::uint16_t port() const { return thread_->port(); }

 private:
  ReplicaRouter router_;
  httplib::Server server_;
  std::unique_ptr<HttpServerThread> thread_;
};

TEST(OrderGateway, ShouldSpreadOrdersRoundRobinOverHealthyReplicas) {
  FakeReplica a, b, c;
  Gateway gateway({a.endpoint(), b.endpoint(), c.endpoint()});
  for (int i = 0; i < 30; ++i) ASSERT_EQ(http_post(gateway.port(), "/api/orders", kOrder)->status, 201);
  EXPECT_EQ(a.orders(), 10);
  EXPECT_EQ(b.orders(), 10);
  EXPECT_EQ(c.orders(), 10);
}

TEST(OrderGateway, ShouldFailOverToTheNextReplicaWhenOneIsDownOrAnswers5xx) {
  FakeReplica failing, working;
  failing.order_status = 503;
  Gateway gateway({nobody_listening(), failing.endpoint(), working.endpoint()});
  for (int i = 0; i < 9; ++i) {
    const auto answer = http_post(gateway.port(), "/api/orders", kOrder);
    ASSERT_EQ(answer->status, 201);
    EXPECT_EQ(answer->replica_header, working.endpoint().to_string());
  }
  EXPECT_EQ(working.orders(), 9);
  EXPECT_GE(failing.orders(), 3);
}

TEST(OrderGateway, ShouldPassAClientErrorThroughWithoutTryingOtherReplicas) {
  FakeReplica rejecting, other;
  rejecting.order_status = 409;
  Gateway gateway({rejecting.endpoint(), other.endpoint()});
  EXPECT_EQ(http_post(gateway.port(), "/api/orders", kOrder)->status, 409);
  EXPECT_EQ(other.orders(), 0);
}

TEST(OrderGateway, ShouldAnswer503NamingEveryAttemptWhenNoReplicaTakesTheOrder) {
  FakeReplica failing;
  failing.order_status = 500;
  Gateway gateway({nobody_listening(), failing.endpoint()});
  const auto answer = http_post(gateway.port(), "/api/orders", kOrder);
  ASSERT_EQ(answer->status, 503);
  EXPECT_EQ(answer->body["attempts"].size(), 2u) << answer->body.dump();
}

TEST(OrderGateway, ShouldGiveUpWhenTheResponseTimeoutIsSpentOverAllAttempts) {
  FakeReplica slow[3];
  RouterTimeouts timeouts;
  timeouts.response = std::chrono::milliseconds(500);
  for (auto& replica : slow) {
    replica.order_status = 503;
    replica.answer_after_ms = 300;
  }
  Gateway gateway({slow[0].endpoint(), slow[1].endpoint(), slow[2].endpoint()}, timeouts);
  EXPECT_EQ(http_post(gateway.port(), "/api/orders", kOrder)->status, 503);
  // Two 300 ms attempts spend the 500 ms: the third replica is never asked.
  EXPECT_LE(slow[0].orders() + slow[1].orders() + slow[2].orders(), 2);
}

TEST(OrderGateway, ShouldAssignAClientOrderIdOnlyWhenTheOrderHasNone) {
  FakeReplica replica;
  Gateway gateway({replica.endpoint()});
  ASSERT_EQ(http_post(gateway.port(), "/api/orders", kOrder)->status, 201);
  const Order stamped = parse_order(replica.last_order());
  EXPECT_EQ(stamped.client_order_id.rfind("gw-", 0), 0u) << stamped.client_order_id;

  ASSERT_EQ(http_post(gateway.port(), "/api/orders",
                      R"({"client_order_id":"mine","symbol":"AAPL","side":"buy","qty":1,"price":1})")
                ->status,
            201);
  EXPECT_EQ(parse_order(replica.last_order()).client_order_id, "mine");
}

TEST(OrderGateway, ShouldRejectAnInvalidOrderItself) {
  FakeReplica replica;
  Gateway gateway({replica.endpoint()});
  EXPECT_EQ(http_post(gateway.port(), "/api/orders", R"({"symbol":"AAPL"})")->status, 400);
  EXPECT_EQ(replica.orders(), 0);
}

TEST(OrderGateway, ShouldBeHealthyWhileAnyReplicaIsAndUnavailableWhenNoneIs) {
  FakeReplica sick, healthy;
  sick.health_status = 503;
  Gateway gateway({nobody_listening(), sick.endpoint(), healthy.endpoint()});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_post(gateway.port(), "/api/health", "")->status, 200);
  healthy.health_status = 503;
  EXPECT_EQ(http_get(gateway.port(), "/api/health")->status, 503);

  const auto replicas = http_get(gateway.port(), "/api/replicas");
  ASSERT_EQ(replicas->body["replicas"].size(), 3u);
  EXPECT_EQ(replicas->body["replicas"][0]["healthy"], false);
  EXPECT_EQ(replicas->body["replicas"][1]["status"], 503);
}

}  // namespace
}  // namespace faultline::demo
