// Synthetic top-of-book prices: each symbol's mid price takes a random walk
// of whole cents and the spread is one or two cents. Seeded,
// so a run's prices replay.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "faultline/demo/quote.h"

namespace faultline::demo {

class PriceWalk {
 public:
  // `symbols` must be valid quote symbols (1..kMaxSymbolLength characters).
  PriceWalk(std::vector<std::string> symbols, std::uint64_t seed);

  // The next quote, symbols in turn; sequence and timestamp are the caller's.
  Quote next();

 private:
  struct Instrument {
    std::string symbol;
    Price mid = 0;
  };
  std::vector<Instrument> instruments_;
  std::size_t turn_ = 0;
  std::mt19937_64 random_;
};

}  // namespace faultline::demo
