#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "error_of.h"
#include "faultline/cli/parse.h"

namespace faultline::cli {
namespace {

using test::error_of;

std::array<std::uint8_t, 16> addr_of(int af, const char* text) {
  std::array<std::uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(af, text, a.data()), 1);
  return a;
}

TEST(EndpointParser, ShouldReadIpv4CidrWithPort) {
  const Endpoint ep = parse_endpoint("10.0.0.0/8:5432", "--dst");
  EXPECT_EQ(ep.family, 4);
  EXPECT_EQ(ep.prefix_len, 8);
  EXPECT_EQ(ep.port, 5432);
  EXPECT_EQ(ep.addr, addr_of(AF_INET, "10.0.0.0"));
}

TEST(EndpointParser, ShouldTreatBareIpv4AsSlash32) {
  const Endpoint ep = parse_endpoint("127.0.0.1", "--dst");
  EXPECT_EQ(ep.family, 4);
  EXPECT_EQ(ep.prefix_len, 32);
  EXPECT_EQ(ep.port, 0);
  EXPECT_EQ(ep.addr, addr_of(AF_INET, "127.0.0.1"));
  EXPECT_EQ(parse_endpoint("127.0.0.1:9000", "--dst").port, 9000);
}

TEST(EndpointParser, ShouldReadBracketedIpv6WithPrefixAndPort) {
  for (const char* text : {"[::1]/128:80", "[::1/128]:80"}) {
    const Endpoint ep = parse_endpoint(text, "--dst");
    EXPECT_EQ(ep.family, 6) << text;
    EXPECT_EQ(ep.prefix_len, 128) << text;
    EXPECT_EQ(ep.port, 80) << text;
    EXPECT_EQ(ep.addr, addr_of(AF_INET6, "::1")) << text;
  }
  const Endpoint no_prefix = parse_endpoint("[fe80::1]:443", "--dst");
  EXPECT_EQ(no_prefix.prefix_len, 128);
  EXPECT_EQ(no_prefix.port, 443);
}

TEST(EndpointParser, ShouldReadBareIpv6WithoutPort) {
  const Endpoint ep = parse_endpoint("fe80::/10", "--dst");
  EXPECT_EQ(ep.family, 6);
  EXPECT_EQ(ep.prefix_len, 10);
  EXPECT_EQ(ep.port, 0);
  EXPECT_EQ(parse_endpoint("::1", "--dst").prefix_len, 128);
}

TEST(EndpointParser, ShouldReadPortAloneAsAnyAddress) {
  const Endpoint ep = parse_endpoint(":9000", "--dst");
  EXPECT_EQ(ep.family, 0);
  EXPECT_EQ(ep.prefix_len, 0);
  EXPECT_EQ(ep.port, 9000);
}

TEST(EndpointParser, ShouldRejectHostBitsBeyondThePrefix) {
  EXPECT_EQ(error_of([] { parse_endpoint("10.0.0.1/8", "--dst"); }),
            "invalid address '10.0.0.1/8' for --dst (address has bits set beyond the /8 prefix): expected "
            "CIDR[:PORT] such as 10.0.0.0/8:5432, 127.0.0.1, [::1]/128:80, fe80::/10 or :9000");
  EXPECT_NE(error_of([] { parse_endpoint("fe80::1/10", "--dst"); }), "");
}

TEST(EndpointParser, ShouldRejectMalformedAddresses) {
  for (const char* bad :
       {"", "abc", "10.0.0.0/33", "10.0.0/8", "256.1.1.1", "10.0.0.1:0", "10.0.0.1:70000", ":", ":x", "[::1",
        "[10.0.0.1]:80", "[::1]80", "::1/129", "10.0.0.1/", "localhost:80"})
    EXPECT_NE(error_of([bad] { parse_endpoint(bad, "--dst"); }), "") << bad;
}

}  // namespace
}  // namespace faultline::cli
