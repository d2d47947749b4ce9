// "HOST:PORT" addresses on the command line (IPv4 literals: the demo runs on
// loopback).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::demo {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
  sockaddr_in to_sockaddr() const;  // host is a valid IPv4 literal (parse_endpoint checked)
};

// "127.0.0.1:9100" -> {host, port}; nullopt when the host is not an IPv4
// literal or the port is not 1..65535.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace faultline::demo
