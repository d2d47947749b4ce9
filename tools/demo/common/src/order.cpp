#include "faultline/demo/order.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "faultline/demo/quote.h"

namespace faultline::demo {
namespace {

const nlohmann::json& field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) throw std::invalid_argument(std::string("missing field '") + name + "'");
  return *it;
}

[[noreturn]] void bad(const char* name, const char* why) {
  throw std::invalid_argument(std::string("field '") + name + "' " + why);
}

}  // namespace

std::string_view to_string(Side side) {
  return side == Side::kBuy ? "buy" : "sell";
}

Order parse_order(std::string_view json_text) {
  const auto json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) throw std::invalid_argument("body is not a JSON object");

  Order order;
  if (const auto it = json.find("client_order_id"); it != json.end()) {
    if (!it->is_string()) bad("client_order_id", "must be a string");
    order.client_order_id = it->get<std::string>();
    if (order.client_order_id.empty() || order.client_order_id.size() > kMaxClientOrderIdLength)
      bad("client_order_id", "must have 1 to 64 characters");
  }

  const auto& symbol = field(json, "symbol");
  if (!symbol.is_string()) bad("symbol", "must be a string");
  order.symbol = symbol.get<std::string>();
  if (order.symbol.empty() || order.symbol.size() > kMaxSymbolLength)
    bad("symbol", "must have 1 to 11 characters");

  const auto& side = field(json, "side");
  if (side == "buy") {
    order.side = Side::kBuy;
  } else if (side == "sell") {
    order.side = Side::kSell;
  } else {
    bad("side", "must be \"buy\" or \"sell\"");
  }

  const auto& quantity = field(json, "qty");
  if (!quantity.is_number_integer()) bad("qty", "must be an integer");
  order.quantity = quantity.get<std::int64_t>();
  if (order.quantity <= 0 || order.quantity > kMaxOrderQuantity) bad("qty", "must be 1 to 1000000");

  const auto& price = field(json, "price");
  if (!price.is_number()) bad("price", "must be a number");
  const auto ticks = price_from_double(price.get<double>());
  if (!ticks || *ticks <= 0) bad("price", "must be a positive number");
  order.price = *ticks;
  return order;
}

std::string to_json(const Order& order) {
  nlohmann::json json = {{"symbol", order.symbol},
                         {"side", to_string(order.side)},
                         {"qty", order.quantity},
                         {"price", price_to_double(order.price)}};
  if (!order.client_order_id.empty()) json["client_order_id"] = order.client_order_id;
  return json.dump();
}

}  // namespace faultline::demo
