// A small, fast, seedable generator (xoshiro256**, seeded by splitmix64) for
// fault models. One instance per thread per fault: never shared, never
// locked. The same seed gives the same sequence on every run and build.
#pragma once

#include <cstdint>

namespace faultline::shim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0x9e3779b97f4a7c15ULL) noexcept { reseed(seed); }
  void reseed(std::uint64_t seed) noexcept;
  std::uint64_t next_u64() noexcept;
  // Uniform in [0, 1) with 53 random bits.
  double uniform01() noexcept;
  // Standard normal (mean 0, sd 1): Marsaglia's polar method; the second
  // value of each pair is kept for the next call.
  double normal() noexcept;
  // True with probability ppm / 1e6 (0 never, >= 1'000'000 always).
  bool chance_ppm(std::uint32_t ppm) noexcept;

 private:
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

// Derives an independent stream seed, e.g. per thread from a fault's seed.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) noexcept;

}  // namespace faultline::shim
