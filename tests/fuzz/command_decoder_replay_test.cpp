// The fuzz target as a deterministic regression test, so every build (not
// only clang's libFuzzer one) checks that corrupt ring entries are handled:
// valid commands of every kind, each mutated at random bytes with a fixed
// seed, go through the same decoder path as the target's apply thread.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "command_decoder_fuzz.h"
#include "faultline/controlplane/abi.h"

namespace faultline::fuzz {
namespace {

TEST(CommandDecoderReplay, ShouldApplyUnmutatedSeedLatencyCommand) {
  abi::Command cmd = seed_commands().front();  // latency
  EXPECT_TRUE(decode_and_apply(reinterpret_cast<const std::uint8_t*>(&cmd), sizeof cmd));
}

TEST(CommandDecoderReplay, ShouldRejectOrApplyEveryRandomlyCorruptedRingEntryWithoutCrashing) {
  std::mt19937_64 rng(20261203);
  const std::vector<abi::Command> seeds = seed_commands();
  int applied = 0, rejected = 0;
  for (int iteration = 0; iteration < 1500; ++iteration) {
    abi::Command cmd = seeds[iteration % seeds.size()];
    auto* bytes = reinterpret_cast<std::uint8_t*>(&cmd);
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bytes[rng() % sizeof cmd] = static_cast<std::uint8_t>(rng());
    const std::size_t size = (iteration % 10 == 0) ? rng() % sizeof cmd : sizeof cmd;
    (decode_and_apply(bytes, size) ? applied : rejected)++;
  }
  // Both outcomes must occur, or the mutations never reach one of the paths.
  EXPECT_GT(applied, 0);
  EXPECT_GT(rejected, 0);
}

TEST(CommandDecoderReplay, ShouldRejectPureNoiseEntries) {
  std::mt19937_64 rng(7);
  int applied = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::uint8_t noise[sizeof(abi::Command)];
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
    applied += decode_and_apply(noise, sizeof noise) ? 1 : 0;
  }
  EXPECT_EQ(applied, 0);
}

}  // namespace
}  // namespace faultline::fuzz
