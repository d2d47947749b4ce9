// The demo's shared formats: the quote datagram, prices, timestamps,
// addresses and the order JSON.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "faultline/demo/endpoint.h"
#include "faultline/demo/order.h"
#include "faultline/demo/price.h"
#include "faultline/demo/quote.h"
#include "faultline/demo/wall_clock.h"

namespace faultline::demo {
namespace {

using Datagram = std::array<std::byte, kQuoteWireSize>;

Quote sample_quote() {
  Quote quote;
  quote.symbol = "AAPL";
  quote.sequence = 0x0102030405060708ULL;
  quote.exchange_time_ns = 1'796'316'710'106'660'069;
  quote.bid = 1'872'500;
  quote.ask = 1'872'700;
  return quote;
}

Datagram encoded(const Quote& quote) {
  Datagram datagram{};
  EXPECT_TRUE(encode_quote(quote, datagram));
  return datagram;
}

TEST(QuoteWireFormat, ShouldDecodeWhatItEncodes) {
  const auto decoded = decode_quote(encoded(sample_quote()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->symbol, "AAPL");
  EXPECT_EQ(decoded->sequence, 0x0102030405060708ULL);
  EXPECT_EQ(decoded->exchange_time_ns, 1'796'316'710'106'660'069);
  EXPECT_EQ(decoded->bid, 1'872'500);
  EXPECT_EQ(decoded->ask, 1'872'700);
}

TEST(QuoteWireFormat, ShouldPlaceFieldsLittleEndianAtTheDocumentedOffsets) {
  const Datagram datagram = encoded(sample_quote());
  const auto* bytes = reinterpret_cast<const unsigned char*>(datagram.data());
  EXPECT_EQ(std::memcmp(bytes, "FLQ1", 4), 0);
  EXPECT_EQ(std::memcmp(bytes + 4, "AAPL\0\0\0\0\0\0\0\0", 12), 0);
  EXPECT_EQ(bytes[16], 0x08);  // sequence, least significant byte first
  EXPECT_EQ(bytes[23], 0x01);
  EXPECT_EQ(bytes[32], 1'872'500 & 0xff);
}

TEST(QuoteWireFormat, ShouldRejectDatagramOfAnotherSize) {
  const Datagram datagram = encoded(sample_quote());
  EXPECT_FALSE(decode_quote(std::span(datagram.data(), kQuoteWireSize - 1)));
  std::array<std::byte, kQuoteWireSize + 1> longer{};
  std::memcpy(longer.data(), datagram.data(), datagram.size());
  EXPECT_FALSE(decode_quote(longer));
}

TEST(QuoteWireFormat, ShouldRejectAnotherMagic) {
  Datagram datagram = encoded(sample_quote());
  datagram[3] = std::byte{'2'};
  EXPECT_FALSE(decode_quote(datagram));
}

TEST(QuoteWireFormat, ShouldRejectCrossedBookAndNonPositiveBid) {
  Quote crossed = sample_quote();
  crossed.ask = crossed.bid - 1;
  EXPECT_FALSE(decode_quote(encoded(crossed)));
  Quote zero_bid = sample_quote();
  zero_bid.bid = 0;
  EXPECT_FALSE(decode_quote(encoded(zero_bid)));
}

TEST(QuoteWireFormat, ShouldRejectCorruptedSymbolField) {
  Datagram unterminated = encoded(sample_quote());
  std::memset(unterminated.data() + 4, 'A', 12);
  EXPECT_FALSE(decode_quote(unterminated));

  Datagram garbage_after_nul = encoded(sample_quote());
  garbage_after_nul[4 + 10] = std::byte{'X'};
  EXPECT_FALSE(decode_quote(garbage_after_nul));

  Datagram non_printable = encoded(sample_quote());
  non_printable[5] = std::byte{0x07};
  EXPECT_FALSE(decode_quote(non_printable));
}

TEST(QuoteWireFormat, ShouldRefuseToEncodeSymbolThatDoesNotFit) {
  Quote quote = sample_quote();
  quote.symbol = "TWELVE_CHARS";
  Datagram datagram{};
  EXPECT_FALSE(encode_quote(quote, datagram));
  quote.symbol.clear();
  EXPECT_FALSE(encode_quote(quote, datagram));
}

TEST(Price, ShouldFormatTicksWithFourDecimals) {
  EXPECT_EQ(format_price(1'872'500), "187.2500");
  EXPECT_EQ(format_price(5), "0.0005");
  EXPECT_EQ(format_price(-12'345), "-1.2345");
}

TEST(Price, ShouldRoundToTheNearestTick) {
  EXPECT_EQ(price_from_double(187.25), 1'872'500);
  EXPECT_EQ(price_from_double(0.00016), 2);
  EXPECT_FALSE(price_from_double(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(price_from_double(1e300));
}

TEST(WallClock, ShouldFormatUtcAsIso8601WithMicrosecondsAndNoOffset) {
  EXPECT_EQ(format_utc_iso8601(0), "1970-01-01T00:00:00.000000");
  // 2026-12-03T16:51:50.106660069Z, truncated to microseconds
  EXPECT_EQ(format_utc_iso8601(1'796'316'710'106'660'069), "2026-12-03T16:51:50.106660");
  EXPECT_EQ(format_utc_iso8601(-1'000), "1969-12-31T23:59:59.999999");
}

TEST(Endpoint, ShouldParseIpv4AndPort) {
  const auto endpoint = parse_endpoint("127.0.0.1:9100");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 9100);
  EXPECT_EQ(endpoint->to_string(), "127.0.0.1:9100");
}

TEST(Endpoint, ShouldRejectNamesMissingPortsAndOutOfRangePorts) {
  EXPECT_FALSE(parse_endpoint("localhost:80"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:65536"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:80x"));
}

TEST(OrderJson, ShouldParseAValidOrder) {
  const Order order =
      parse_order(R"({"client_order_id":"lg-1","symbol":"MSFT","side":"sell","qty":300,"price":411.07})");
  EXPECT_EQ(order.client_order_id, "lg-1");
  EXPECT_EQ(order.symbol, "MSFT");
  EXPECT_EQ(order.side, Side::kSell);
  EXPECT_EQ(order.quantity, 300);
  EXPECT_EQ(order.price, 4'110'700);
}

TEST(OrderJson, ShouldRoundTripThroughToJson) {
  Order order;
  order.client_order_id = "gw-9";
  order.symbol = "JPM";
  order.side = Side::kBuy;
  order.quantity = 100;
  order.price = 1'995'100;
  const Order again = parse_order(to_json(order));
  EXPECT_EQ(again.client_order_id, order.client_order_id);
  EXPECT_EQ(again.symbol, order.symbol);
  EXPECT_EQ(again.side, order.side);
  EXPECT_EQ(again.quantity, order.quantity);
  EXPECT_EQ(again.price, order.price);
}

// The reason names the field, so a client sees what to fix.
void expect_rejected(const char* body, const char* field) {
  try {
    parse_order(body);
    ADD_FAILURE() << "accepted " << body;
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
  }
}

TEST(OrderJson, ShouldRejectInvalidOrdersNamingTheField) {
  expect_rejected(R"({"side":"buy","qty":1,"price":1})", "symbol");
  expect_rejected(R"({"symbol":"AAPL","side":"hold","qty":1,"price":1})", "side");
  expect_rejected(R"({"symbol":"AAPL","side":"buy","qty":0,"price":1})", "qty");
  expect_rejected(R"({"symbol":"AAPL","side":"buy","qty":1.5,"price":1})", "qty");
  expect_rejected(R"({"symbol":"AAPL","side":"buy","qty":1,"price":-3})", "price");
  expect_rejected(R"({"symbol":"AAPL","side":"buy","qty":1,"price":"1"})", "price");
  expect_rejected(R"({"client_order_id":7,"symbol":"AAPL","side":"buy","qty":1,"price":1})",
                  "client_order_id");
  expect_rejected(R"([1,2])", "object");
  expect_rejected(R"({"symbol":)", "object");
}

}  // namespace
}  // namespace faultline::demo
