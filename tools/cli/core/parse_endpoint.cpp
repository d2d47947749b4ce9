// CIDR[:PORT] for IPv4 and IPv6; see parse.h for the accepted forms.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "faultline/cli/error.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

constexpr const char* kExpected =
    "expected CIDR[:PORT] such as 10.0.0.0/8:5432, 127.0.0.1, [::1]/128:80, fe80::/10 or :9000";

[[noreturn]] void fail(std::string_view text, std::string_view option, std::string_view why = {}) {
  std::string msg = "invalid address '" + std::string(text) + "' for " + std::string(option);
  if (!why.empty()) msg += " (" + std::string(why) + ")";
  throw UserError(msg + ": " + kExpected);
}

// Parses "ADDR[/N]" (no port, no brackets) into ep.
void parse_cidr(std::string_view cidr, std::string_view text, std::string_view option, Endpoint* ep) {
  const std::size_t slash = cidr.find('/');
  const std::string addr(cidr.substr(0, slash));
  const bool v6 = addr.find(':') != std::string::npos;
  ep->family = v6 ? 6 : 4;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), ep->addr.data()) != 1) fail(text, option);
  const unsigned max_prefix = v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = cidr.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || prefix > max_prefix)
      fail(text, option, "prefix length must be 0.." + std::to_string(max_prefix));
  }
  ep->prefix_len = static_cast<std::uint8_t>(prefix);
  for (unsigned bit = prefix; bit < max_prefix; ++bit)
    if (ep->addr[bit / 8] & (0x80u >> (bit % 8)))
      fail(text, option, "address has bits set beyond the /" + std::to_string(prefix) + " prefix");
}

}  // namespace

Endpoint parse_endpoint(std::string_view text, std::string_view option) {
  Endpoint ep;
  std::string_view cidr = text;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == ':' && std::count(text.begin(), text.end(), ':') == 1) {
    cidr = {};  // ":9000": any address
    port = text.substr(1);
    has_port = true;
  } else if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) fail(text, option, "missing ']'");
    std::string_view after = text.substr(close + 1);
    std::string inside(text.substr(1, close - 1));
    // "[::1]/128:80" puts the prefix after the bracket; "[::1/128]:80" inside.
    if (!after.empty() && after.front() == '/') {
      const std::size_t colon = after.find(':');
      inside += std::string(after.substr(0, colon));
      after = colon == std::string_view::npos ? std::string_view{} : after.substr(colon);
    }
    if (inside.find(':') == std::string::npos) fail(text, option, "brackets are for IPv6 addresses");
    if (!after.empty()) {
      if (after.front() != ':') fail(text, option);
      port = after.substr(1);
      has_port = true;
    }
    parse_cidr(inside, text, option, &ep);
  } else if (std::count(text.begin(), text.end(), ':') >= 2) {
    parse_cidr(text, text, option, &ep);  // bare IPv6: no port
  } else {
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      cidr = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (cidr.empty()) fail(text, option);
    parse_cidr(cidr, text, option, &ep);
  }
  if (has_port) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
      fail(text, option, "port must be 1..65535");
    ep.port = static_cast<std::uint16_t>(p);
  }
  return ep;
}

}  // namespace faultline::cli
