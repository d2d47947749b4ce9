// What the demo's process-level tests share: where the programs are, free
// loopback ports, HTTP calls with short timeouts, and bounded waiting.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace faultline::demo::testing {

// A demo program of this build (bin/NAME).
std::string demo_program(const std::string& name);

// A port nothing listens on right now (the kernel's pick for port 0).
std::uint16_t free_tcp_port();
std::uint16_t free_udp_port();
// Whether a TCP listener could bind 127.0.0.1:port now.
bool tcp_port_free(std::uint16_t port);

// GET/POST on 127.0.0.1:port with 5 s timeouts; nullopt when no answer.
struct HttpAnswer {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string replica_header;
};
std::optional<HttpAnswer> http_get(std::uint16_t port, const std::string& path);
std::optional<HttpAnswer> http_post(std::uint16_t port, const std::string& path, const std::string& body);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// True once `pid` no longer exists (or is a zombie nobody reaps).
bool process_gone(pid_t pid);

}  // namespace faultline::demo::testing
