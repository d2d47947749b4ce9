// Internal: the numeric front of every value ("1.5" of "1.5ms").
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline::cli::detail {

// Splits text into a leading unsigned decimal (digits, optionally "." and
// more digits) and the rest. False if text does not start with one.
bool split_decimal(std::string_view text, long double* value, std::string_view* rest) noexcept;

// value * scale rounded to the nearest integer, if it fits in [0, max].
bool scale_to_integer(long double value, long double scale, std::uint64_t max, std::uint64_t* out) noexcept;

}  // namespace faultline::cli::detail
