// An order as it travels over HTTP (POST /api/orders): the load generator
// writes it, the gateway stamps it, the order service validates and fills it.
//
//   {"client_order_id": "lg-7-42", "symbol": "AAPL", "side": "buy",
//    "qty": 100, "price": 187.25}
//
// client_order_id makes entry idempotent: the same id is filled once however
// often it is sent, which is what lets the gateway retry another replica after
// any failure. It is optional on input (the gateway assigns one when absent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/demo/price.h"

namespace faultline::demo {

enum class Side { kBuy, kSell };

struct Order {
  std::string client_order_id;
  std::string symbol;
  Side side = Side::kBuy;
  std::int64_t quantity = 0;
  Price price = 0;
};

inline constexpr std::int64_t kMaxOrderQuantity = 1'000'000;
inline constexpr std::size_t kMaxClientOrderIdLength = 64;

std::string_view to_string(Side side);

// Parses and validates a JSON order; throws std::invalid_argument with a
// one-line reason naming the offending field.
Order parse_order(std::string_view json_text);

std::string to_json(const Order& order);

}  // namespace faultline::demo
