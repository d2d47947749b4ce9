#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "faultline/controlplane/abi.h"

namespace faultline::fuzz {

// Decodes `data` as a ring entry exactly as the target would and applies it
// to a fresh plan manager. Returns true if the command was applied.
bool decode_and_apply(const std::uint8_t* data, std::size_t size);

// Valid commands of every kind (seq 1), the starting points of mutation.
std::vector<abi::Command> seed_commands();

// Structure-aware input: data[0] picks a seed command, then each 3 bytes
// (offset low, offset high, value) overwrite one byte of it. Reaches the
// plan manager far more often than raw bytes, which mostly fail validation.
bool apply_patched(const std::uint8_t* data, std::size_t size);

}  // namespace faultline::fuzz
