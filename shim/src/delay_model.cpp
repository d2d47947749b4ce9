#include "faultline/shim/delay_model.h"

#include <algorithm>
#include <cmath>

namespace faultline::shim {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kPi = 3.14159265358979323846;

// netem's pareto table: Y = U^(-1/3) (tail index 3, minimum 1), capped where
// its 16-bit table saturates, (Y - 1.5) * 4/3 = 4, i.e. Y = 4.5. The capped Y
// has E[Y] = 1.5 - 0.5/4.5^2 and E[Y^2] = 3 - 2/4.5 (exact).
constexpr double kParetoCap = 4.5;
constexpr double kParetoCapTail = 1.0 / (kParetoCap * kParetoCap * kParetoCap);
constexpr double kParetoMean = 1.5 - 0.5 / (kParetoCap * kParetoCap);
constexpr double kParetoSd = 0.61564597494706821100;  // sqrt(E[Y^2] - E[Y]^2)
// paretonormal = 0.25 Z + 0.75 * (4/3) (Y - 1.5) with Z and Y comonotone (one
// quantile drives both, as netem's table is built). Its sd needs E[Z Y],
// computed by adaptive quadrature to 30 digits (mpmath).
constexpr double kParetoNormalMean = kParetoMean - 1.5;
constexpr double kParetoNormalSd = 0.83495282273439155703;

constexpr std::int64_t kMaxDelayNs = std::int64_t{1} << 62;

// Capped Pareto quantile, driven by the latent's upper tail probability so
// the far tail keeps its precision.
double capped_pareto(double z) noexcept {
  const double tail = 0.5 * std::erfc(z * kInvSqrt2);
  return tail > kParetoCapTail ? std::cbrt(1.0 / tail) : kParetoCap;
}

// The delay in units of jitter around delay: x = delay + jitter * shape(z),
// where z ~ N(0, 1). This is F^-1(Phi(z)) written without the round trip
// through Phi and an inverse normal CDF.
double shape(abi::Distribution d, double z) noexcept {
  switch (d) {
    case abi::Distribution::kNormal:
      return z;
    case abi::Distribution::kPareto:
      return (capped_pareto(z) - kParetoMean) / kParetoSd;
    case abi::Distribution::kParetoNormal:
      return (0.25 * z + (capped_pareto(z) - 1.5) - kParetoNormalMean) / kParetoNormalSd;
    case abi::Distribution::kUniform:
    default:
      return std::erf(z * kInvSqrt2);  // 2 Phi(z) - 1
  }
}

double clamp_correlation(double c) noexcept {
  if (!(c > 0.0)) return 0.0;  // also NaN
  return c < 1.0 ? c : 1.0;
}

// --- Calibration: the Hermite spectrum of g(z) = max(floor, shape(z)) -------
//
// With He_k the probabilists' Hermite polynomials and h_k = He_k / sqrt(k!),
// g = sum_k c_k h_k with c_k = E[g(Z) h_k(Z)], and for (Z1, Z2) standard
// bivariate normal with correlation rho, E[h_j(Z1) h_k(Z2)] = rho^k [j = k]
// (Mehler). Hence corr(g(Z1), g(Z2)) = sum_{k>=1} c_k^2 rho^k / Var g: a
// power series with non-negative weights summing to 1, increasing in rho, so
// bisection finds the rho for any C in [0, 1]. The weights are computed once
// per calibration by composite Simpson quadrature on [-12, 12] (h_32
// oscillates out to |z| ~ 11.4); the variance beyond the kept terms is
// assigned to order kTerms + 1, which bounds the error by tail * rho^33.
// Against 64 terms on an 8x finer grid, rho moves by under 3e-5 for C up to
// 0.99: far below what a sample of delays resolves.

constexpr int kTerms = 32;
constexpr int kGridIntervals = 2400;  // even, for Simpson; step 0.01
constexpr double kGridHalfWidth = 12.0;

struct Spectrum {
  double weight[kTerms + 1];  // weight[k] = c_k^2 / Var g, k >= 1
  double tail;                // 1 - sum(weight)
  bool degenerate;            // Var g ~ 0: correlation is meaningless
};

void compute_spectrum(abi::Distribution d, double floor, Spectrum* out) noexcept {
  double coef[kTerms + 1] = {};
  double second_moment = 0.0;
  // h_{k+1} = (z h_k - sqrt(k) h_{k-1}) / sqrt(k + 1)
  double inv_sqrt_next[kTerms + 1], ratio[kTerms + 1];
  for (int k = 1; k <= kTerms; ++k) {
    inv_sqrt_next[k] = 1.0 / std::sqrt(static_cast<double>(k + 1));
    ratio[k] = std::sqrt(static_cast<double>(k)) * inv_sqrt_next[k];
  }
  const double step = 2.0 * kGridHalfWidth / kGridIntervals;
  for (int i = 0; i <= kGridIntervals; ++i) {
    const double z = -kGridHalfWidth + step * i;
    const double simpson = (i == 0 || i == kGridIntervals) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0);
    const double w = simpson * step / 3.0 * kInvSqrt2Pi * std::exp(-0.5 * z * z);
    const double g = std::max(floor, shape(d, z));
    second_moment += w * g * g;
    const double wg = w * g;
    double h_prev = 1.0, h = z;
    coef[0] += wg;
    coef[1] += wg * z;
    for (int k = 1; k < kTerms; ++k) {
      const double h_next = z * inv_sqrt_next[k] * h - ratio[k] * h_prev;
      h_prev = h;
      h = h_next;
      coef[k + 1] += wg * h;
    }
  }
  const double variance = second_moment - coef[0] * coef[0];
  out->degenerate = !(variance > 1e-12);
  double kept = 0.0;
  out->weight[0] = 0.0;
  for (int k = 1; k <= kTerms; ++k) {
    out->weight[k] = out->degenerate ? 0.0 : coef[k] * coef[k] / variance;
    kept += out->weight[k];
  }
  out->tail = std::max(0.0, 1.0 - kept);
}

double spectrum_correlation(const Spectrum& s, double rho) noexcept {
  double acc = s.tail * rho;  // order kTerms + 1, by Horner
  for (int k = kTerms; k >= 1; --k) acc = (acc + s.weight[k]) * rho;
  return acc;
}

// Lowest value of shape() for a delay/jitter ratio: the clamp at 0.
double shape_floor(const DelayParams& p) noexcept {
  return -static_cast<double>(p.delay_ns) / static_cast<double>(p.jitter_ns);
}

}  // namespace

double delay_output_correlation(const DelayParams& params, double latent_rho) noexcept {
  if (params.jitter_ns <= 0) return 0.0;
  Spectrum s;
  compute_spectrum(params.distribution, shape_floor(params), &s);
  if (s.degenerate) return 0.0;
  return spectrum_correlation(s, std::clamp(latent_rho, 0.0, 1.0));
}

double calibrate_latent_rho(const DelayParams& params) noexcept {
  const double c = clamp_correlation(params.correlation);
  if (c == 0.0 || c == 1.0 || params.jitter_ns <= 0) return c;
  const double floor = shape_floor(params);
  // Closed forms hold while the clamp leaves the marginal intact (normal:
  // clamped mass below 1e-6, far under what any sample of delays resolves).
  if (params.distribution == abi::Distribution::kNormal && floor <= -4.75) return c;
  if (params.distribution == abi::Distribution::kUniform && floor <= -1.0)
    return 2.0 * std::sin(kPi * c / 6.0);
  Spectrum s;
  compute_spectrum(params.distribution, floor, &s);
  if (s.degenerate) return c;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (spectrum_correlation(s, mid) < c ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

void DelayModel::configure(const DelayParams& params, std::uint64_t seed) noexcept {
  configure(params, seed, calibrate_latent_rho(params));
}

void DelayModel::configure(const DelayParams& params, std::uint64_t seed, double latent_rho) noexcept {
  p_ = params;
  if (p_.jitter_ns < 0) p_.jitter_ns = 0;
  rho_ = std::isfinite(latent_rho) ? std::clamp(latent_rho, 0.0, 1.0) : 0.0;
  innovation_sd_ = std::sqrt(1.0 - rho_ * rho_);
  rng_.reseed(seed);
  z_ = rng_.normal();  // start in the stationary law: no warm-up transient
}

std::int64_t DelayModel::next_ns() noexcept {
  z_ = rho_ * z_ + innovation_sd_ * rng_.normal();
  if (p_.jitter_ns == 0) return std::max<std::int64_t>(p_.delay_ns, 0);
  const double x =
      static_cast<double>(p_.delay_ns) + static_cast<double>(p_.jitter_ns) * shape(p_.distribution, z_);
  if (!(x > 0.0)) return 0;
  if (x >= static_cast<double>(kMaxDelayNs)) return kMaxDelayNs;
  return static_cast<std::int64_t>(x + 0.5);
}

}  // namespace faultline::shim
