#include "faultline/shim/rng.h"

#include <cmath>

namespace faultline::shim {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// splitmix64's output function: a bijective 64-bit mixer.
constexpr std::uint64_t splitmix_finalize(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

void Rng::reseed(std::uint64_t seed) noexcept {
  // Four consecutive splitmix64 outputs: distinct states of a bijection, so
  // at most one is zero and the xoshiro state is never all zero.
  for (auto& word : s_) {
    seed += kGolden;
    word = splitmix_finalize(seed);
  }
  has_spare_normal_ = false;
  spare_normal_ = 0.0;
}

std::uint64_t Rng::next_u64() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform01() noexcept {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::normal() noexcept {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u = 0.0, v = 0.0, s = 0.0;
  do {
    u = 2.0 * uniform01() - 1.0;
    v = 2.0 * uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_normal_ = true;
  return u * factor;
}

bool Rng::chance_ppm(std::uint32_t ppm) noexcept {
  if (ppm >= 1'000'000) return true;
  // Lemire's multiply-shift maps 32 random bits onto [0, 1e6) with a bias
  // below 2^-32 on the resulting probability.
  const std::uint64_t draw = ((next_u64() >> 32) * 1'000'000ULL) >> 32;
  return draw < ppm;
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
  return splitmix_finalize(seed ^ splitmix_finalize(stream * kGolden + kGolden));
}

}  // namespace faultline::shim
