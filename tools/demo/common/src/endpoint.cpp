#include "faultline/demo/endpoint.h"

#include <arpa/inet.h>

#include <charconv>

namespace faultline::demo {

sockaddr_in Endpoint::to_sockaddr() const {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  return address;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Endpoint endpoint;
  endpoint.host = std::string(text.substr(0, colon));
  in_addr ignored{};
  if (inet_pton(AF_INET, endpoint.host.c_str(), &ignored) != 1) return std::nullopt;

  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return std::nullopt;
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

}  // namespace faultline::demo
