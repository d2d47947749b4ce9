// A top-of-book quote and its UDP wire format, shared by exchange_feed
// (encodes) and market_data (decodes).
//
// Wire format: one quote per datagram, exactly kQuoteWireSize bytes,
// little-endian, no padding:
//
//   offset  size  field
//        0     4  magic 0x31514C46 (the bytes "FLQ1")
//        4    12  symbol, ASCII, NUL-padded (1..11 characters)
//       16     8  sequence number, u64, +1 per datagram on a feed
//       24     8  exchange timestamp, i64 ns since the Unix epoch (UTC)
//       32     8  bid, i64 price ticks (1/10000)
//       40     8  ask, i64 price ticks (1/10000)
//
// A datagram of another size, another magic, an empty, unterminated or
// non-printable symbol, a non-positive bid or a crossed book (ask < bid) is
// malformed: corrupted on the way, it must not reach the book.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "faultline/demo/price.h"

namespace faultline::demo {

inline constexpr std::size_t kQuoteWireSize = 48;
inline constexpr std::uint32_t kQuoteMagic = 0x31514C46;
inline constexpr std::size_t kMaxSymbolLength = 11;

struct Quote {
  std::string symbol;
  std::uint64_t sequence = 0;
  std::int64_t exchange_time_ns = 0;
  Price bid = 0;
  Price ask = 0;
};

// Writes `quote` into `out`; false (and nothing written) when the symbol is
// empty or longer than kMaxSymbolLength.
bool encode_quote(const Quote& quote, std::span<std::byte, kQuoteWireSize> out);

// nullopt when the datagram is malformed (see above).
std::optional<Quote> decode_quote(std::span<const std::byte> datagram);

}  // namespace faultline::demo
