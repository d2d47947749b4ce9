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
#include "faultline/controlplane/client.h"

namespace faultline::fuzz {
namespace {

abi::FaultSpec base_fault(abi::FaultKind kind) {
  abi::FaultSpec f{};
  std::strcpy(f.id, "fz-1");
  f.kind = static_cast<std::uint16_t>(kind);
  f.pct_ppm = 1'000'000;
  f.for_ns = 1'000'000'000;
  f.delay_ns = 1'000;
  f.jitter_ns = 500;
  f.correlation_ppm = 750'000;
  f.loss_ppm = 500'000;
  f.ge_p_ppm = 10'000;
  f.ge_r_ppm = 500'000;
  f.ge_1h_ppm = 1'000'000;
  f.rate_bytes_per_s = 1'000'000;
  f.slice_max = 16;
  f.gap = 3;
  f.err = 104;
  std::strcpy(f.host_glob, "*.example");
  std::strcpy(f.sqlstate, "40001");
  f.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  return f;
}

std::vector<abi::Command> seed_commands() {
  std::vector<abi::Command> seeds;
  for (auto k = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
       k < static_cast<std::uint16_t>(abi::FaultKind::kCount); ++k) {
    seeds.push_back(cp::make_inject(base_fault(static_cast<abi::FaultKind>(k))));
  }
  seeds.push_back(cp::make_clear("fz-1"));
  seeds.push_back(cp::make_clear_all());
  seeds.push_back(cp::make_renew_lease("fz-1", 1'000'000));
  seeds.push_back(cp::make_telemetry(true));
  for (abi::Command& c : seeds) c.seq = 1;  // submit() numbers commands from 1
  return seeds;
}

TEST(CommandDecoderReplay, ShouldApplyUnmutatedSeedLatencyCommand) {
  abi::Command cmd = cp::make_inject(base_fault(abi::FaultKind::kLatency));
  cmd.seq = 1;
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
