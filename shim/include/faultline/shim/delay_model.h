// Sampled delays for the latency fault. A delay sequence has the requested
// marginal distribution (uniform, normal, pareto, paretonormal around `delay`
// with scale `jitter`) AND the requested lag-1 autocorrelation. netem mixes
// the new sample with the previous one, which shrinks the variance and leaves
// the sequence almost uncorrelated; here a Gaussian AR(1) latent process is
// mapped through the marginal's inverse CDF (a Gaussian copula), with the
// latent coefficient calibrated so the *output* autocorrelation is C.
//
// Marginals (x = delay + jitter * shape):
//   uniform       delay ± jitter (jitter is the half-width)
//   normal        mean delay, sd jitter
//   pareto        netem's shape (Pareto with tail index 3, capped where
//                 netem's table caps it, at 4.5x its minimum) rescaled to
//                 mean delay and sd jitter exactly
//   paretonormal  netem's 0.25*normal + 0.75*pareto taken quantile by
//                 quantile (as its table is built), rescaled to mean delay and
//                 sd jitter
// Delays are clamped at 0. That changes the marginal only when jitter is
// large against delay: uniform when jitter > delay, pareto when jitter >
// 1.3 delay, normal and paretonormal by P(x < 0), which is below 1e-6 while
// delay/jitter > 4.75 (normal) or > 2 (paretonormal). The calibration
// includes the clamp, so the lag-1 autocorrelation stays C even then.
// Stateful: one instance per stream (thread/fault).
#pragma once

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/rng.h"

namespace faultline::shim {

struct DelayParams {
  std::int64_t delay_ns = 0;   // mean (uniform, normal, pareto, paretonormal)
  std::int64_t jitter_ns = 0;  // uniform: half-width; normal: sd; pareto*: sd
  double correlation = 0.0;    // requested lag-1 autocorrelation in [0, 1] (clamped)
  abi::Distribution distribution = abi::Distribution::kUniform;
};

// Lag-1 autocorrelation of the delays (after the clamp at 0) when the latent
// AR(1) coefficient is `latent_rho`, from the Hermite expansion of the map
// latent -> delay: corr = sum_k c_k^2 rho^k / sum_k c_k^2. Numerical (about
// 0.25 ms): for calibration and tests, not for the hot path.
double delay_output_correlation(const DelayParams& params, double latent_rho) noexcept;

// The latent coefficient that gives lag-1 autocorrelation params.correlation.
// Closed forms where exact (normal: rho = C; uniform: rho = 2 sin(pi C / 6)),
// when the clamp at 0 cannot bite; otherwise bisection on
// delay_output_correlation. No allocation; call off the hot path.
double calibrate_latent_rho(const DelayParams& params) noexcept;

class DelayModel {
 public:
  DelayModel() noexcept = default;
  // Calibrates (calibrate_latent_rho) and seeds the stream. No allocation,
  // but calibration costs about 0.25 ms when it is numerical (pareto*, or a
  // clamp that bites): a caller that opens many streams of one fault
  // calibrates once, off the hot path, and uses the overload below.
  void configure(const DelayParams& params, std::uint64_t seed) noexcept;
  void configure(const DelayParams& params, std::uint64_t seed, double latent_rho) noexcept;
  std::int64_t next_ns() noexcept;
  // The latent AR(1) coefficient chosen for the requested correlation.
  double latent_rho() const noexcept { return rho_; }

 private:
  DelayParams p_{};
  Rng rng_{};
  double rho_ = 0.0;
  double innovation_sd_ = 1.0;  // sqrt(1 - rho^2): keeps the latent N(0, 1)
  double z_ = 0.0;              // previous latent
};

}  // namespace faultline::shim
