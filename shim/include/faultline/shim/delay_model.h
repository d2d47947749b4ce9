// Sampled delays for the latency fault. A delay sequence has the requested
// marginal distribution (uniform, normal, pareto, paretonormal around `delay`
// with scale `jitter`) AND the requested lag-1 autocorrelation. netem mixes
// the new sample with the previous one, which shrinks the variance and leaves
// the sequence almost uncorrelated; here a Gaussian AR(1) latent process is
// mapped through the marginal's inverse CDF (a Gaussian copula), with the
// latent coefficient calibrated so the *output* autocorrelation is C.
// Delays are clamped at 0. Stateful: one instance per stream (thread/fault).
#pragma once

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/rng.h"

namespace faultline::shim {

struct DelayParams {
  std::int64_t delay_ns = 0;   // mean (uniform, normal, paretonormal) or scale base
  std::int64_t jitter_ns = 0;  // uniform: half-width; normal: sd; pareto*: sd
  double correlation = 0.0;    // requested lag-1 autocorrelation in [0, 1)
  abi::Distribution distribution = abi::Distribution::kUniform;
};

class DelayModel {
 public:
  DelayModel() noexcept = default;
  // Calibration runs here (cheap, no allocation); call off the hot path or
  // once per stream.
  void configure(const DelayParams& params, std::uint64_t seed) noexcept;
  std::int64_t next_ns() noexcept;
  // The latent AR(1) coefficient chosen for the requested correlation.
  double latent_rho() const noexcept { return rho_; }

 private:
  DelayParams p_{};
  Rng rng_{};
  double rho_ = 0.0;
  double z_ = 0.0;  // previous latent
  bool primed_ = false;
};

}  // namespace faultline::shim
