// Fixture of the pqshim tests that drive one libpq client: the PostgreSQL
// server of tests/pq, and pq_client under the preload, connected to it.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "postgres_server.h"
#include "pqshim_support.h"

namespace faultline::pqshim {

class ConnectedClientTest : public pq::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    client.emplace(PqClient::start());
    ASSERT_EQ(client->run("connect " + dsn())["status"], "OK");
  }
  cp::Client& control() { return client->control(); }

  std::optional<PqClient> client;
};

}  // namespace faultline::pqshim
