#include "faultline/shim/loss_model.h"

#include <algorithm>

namespace faultline::shim {
namespace {

double probability(double p) noexcept {
  if (!(p > 0.0)) return 0.0;  // also NaN
  return p < 1.0 ? p : 1.0;
}

// Probability of the GE chain's bad state in the long run; a chain that can
// never move stays in the good state it starts in.
double ge_bad_share(double p, double r) noexcept {
  return p + r > 0.0 ? p / (p + r) : 0.0;
}

}  // namespace

void LossModel::configure(const LossParams& params, std::uint64_t seed) noexcept {
  p_ = params;
  p_.rate = probability(p_.rate);
  p_.correlation = probability(p_.correlation);
  p_.ge_p = probability(p_.ge_p);
  p_.ge_r = probability(p_.ge_r);
  p_.ge_1h = probability(p_.ge_1h);
  p_.ge_1k = probability(p_.ge_1k);
  rng_.reseed(seed);
  // Two-state chain on the loss indicator with stationary P and lag-1
  // autocorrelation C: its second eigenvalue, P(l|l) - P(l|k), equals C.
  p_after_loss_ = p_.rate + p_.correlation * (1.0 - p_.rate);
  p_after_keep_ = p_.rate * (1.0 - p_.correlation);
  last_lost_ = rng_.uniform01() < p_.rate;
  bad_ = rng_.uniform01() < ge_bad_share(p_.ge_p, p_.ge_r);
}

bool LossModel::next_lost() noexcept {
  switch (p_.model) {
    case abi::LossModel::kCorrelated:
      last_lost_ = rng_.uniform01() < (last_lost_ ? p_after_loss_ : p_after_keep_);
      return last_lost_;
    case abi::LossModel::kGilbertElliott: {
      const double loss_here = bad_ ? p_.ge_1h : p_.ge_1k;
      // A certain outcome draws nothing: the common 1-h = 1, 1-k = 0 case
      // costs one draw per message.
      const bool lost = loss_here >= 1.0 || (loss_here > 0.0 && rng_.uniform01() < loss_here);
      if (rng_.uniform01() < (bad_ ? p_.ge_r : p_.ge_p)) bad_ = !bad_;
      return lost;
    }
    case abi::LossModel::kBernoulli:
    default:
      return rng_.uniform01() < p_.rate;
  }
}

double LossModel::expected_rate() const noexcept {
  switch (p_.model) {
    case abi::LossModel::kGilbertElliott: {
      const double bad = ge_bad_share(p_.ge_p, p_.ge_r);
      return bad * p_.ge_1h + (1.0 - bad) * p_.ge_1k;
    }
    case abi::LossModel::kCorrelated:
    case abi::LossModel::kBernoulli:
    default:
      return p_.rate;
  }
}

}  // namespace faultline::shim
