#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline::fuzz {

// Decodes `data` as a ring entry exactly as the target would and applies it
// to a fresh plan manager. Returns true if the command was applied.
bool decode_and_apply(const std::uint8_t* data, std::size_t size);

}  // namespace faultline::fuzz
