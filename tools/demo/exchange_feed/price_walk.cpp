#include "price_walk.h"

namespace faultline::demo {
namespace {

constexpr Price kTick = 100;  // 0.01 in price ticks
constexpr Price kFloor = 10 * kTick;

}  // namespace

PriceWalk::PriceWalk(std::vector<std::string> symbols, std::uint64_t seed) : random_(seed) {
  std::uniform_int_distribution<Price> start_price(50 * kTicksPerUnit, 500 * kTicksPerUnit);
  for (auto& symbol : symbols) {
    instruments_.push_back({std::move(symbol), start_price(random_) / kTick * kTick});
  }
}

Quote PriceWalk::next() {
  Instrument& instrument = instruments_[turn_];
  turn_ = (turn_ + 1) % instruments_.size();

  std::uniform_int_distribution<int> step(-1, 1);
  std::uniform_int_distribution<int> half_spread(1, 2);
  instrument.mid = std::max(kFloor, instrument.mid + step(random_) * kTick);
  const Price half = half_spread(random_) * kTick / 2;

  Quote quote;
  quote.symbol = instrument.symbol;
  quote.bid = instrument.mid - half;
  quote.ask = instrument.mid + half;
  return quote;
}

}  // namespace faultline::demo
