#include "faultline/demo/quote.h"

#include <algorithm>
#include <cstring>

namespace faultline::demo {
namespace {

constexpr std::size_t kSymbolOffset = 4;
constexpr std::size_t kSymbolField = 12;
constexpr std::size_t kSequenceOffset = 16;
constexpr std::size_t kTimeOffset = 24;
constexpr std::size_t kBidOffset = 32;
constexpr std::size_t kAskOffset = 40;

void store_le(std::byte* at, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) at[i] = static_cast<std::byte>(value >> (8 * i));
}

std::uint64_t load_le(const std::byte* at, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value |= std::to_integer<std::uint64_t>(at[i]) << (8 * i);
  return value;
}

}  // namespace

bool encode_quote(const Quote& quote, std::span<std::byte, kQuoteWireSize> out) {
  if (quote.symbol.empty() || quote.symbol.size() > kMaxSymbolLength) return false;
  std::byte* p = out.data();
  std::memset(p, 0, kQuoteWireSize);
  store_le(p, kQuoteMagic, 4);
  std::memcpy(p + kSymbolOffset, quote.symbol.data(), quote.symbol.size());
  store_le(p + kSequenceOffset, quote.sequence, 8);
  store_le(p + kTimeOffset, static_cast<std::uint64_t>(quote.exchange_time_ns), 8);
  store_le(p + kBidOffset, static_cast<std::uint64_t>(quote.bid), 8);
  store_le(p + kAskOffset, static_cast<std::uint64_t>(quote.ask), 8);
  return true;
}

std::optional<Quote> decode_quote(std::span<const std::byte> datagram) {
  if (datagram.size() != kQuoteWireSize) return std::nullopt;
  const std::byte* p = datagram.data();
  if (load_le(p, 4) != kQuoteMagic) return std::nullopt;

  const auto* symbol_begin = reinterpret_cast<const char*>(p + kSymbolOffset);
  const auto* symbol_end = std::find(symbol_begin, symbol_begin + kSymbolField, '\0');
  if (symbol_end == symbol_begin || symbol_end == symbol_begin + kSymbolField) return std::nullopt;
  // NUL padding must run to the end of the field: anything else is corruption.
  if (std::any_of(symbol_end, symbol_begin + kSymbolField, [](char c) { return c != '\0'; }))
    return std::nullopt;
  if (!std::all_of(symbol_begin, symbol_end, [](char c) { return c > ' ' && c < 0x7f; })) return std::nullopt;

  Quote quote;
  quote.symbol.assign(symbol_begin, symbol_end);
  quote.sequence = load_le(p + kSequenceOffset, 8);
  quote.exchange_time_ns = static_cast<std::int64_t>(load_le(p + kTimeOffset, 8));
  quote.bid = static_cast<Price>(load_le(p + kBidOffset, 8));
  quote.ask = static_cast<Price>(load_le(p + kAskOffset, 8));
  if (quote.bid <= 0 || quote.ask < quote.bid) return std::nullopt;
  return quote;
}

}  // namespace faultline::demo
