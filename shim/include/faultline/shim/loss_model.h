// Loss decisions: Bernoulli, correlated (a two-state Markov chain whose
// stationary loss rate is P and lag-1 autocorrelation of the loss indicator
// is C), and Gilbert-Elliott (netem's --gemodel p r 1-h 1-k). Stateful: one
// instance per stream.
#pragma once

#include <cstdint>

#include "faultline/controlplane/abi.h"
#include "faultline/shim/rng.h"

namespace faultline::shim {

struct LossParams {
  abi::LossModel model = abi::LossModel::kBernoulli;
  double rate = 0.0;         // Bernoulli / correlated: P(loss)
  double correlation = 0.0;  // correlated
  double ge_p = 0.0, ge_r = 1.0, ge_1h = 1.0, ge_1k = 0.0;  // Gilbert-Elliott
};

class LossModel {
 public:
  void configure(const LossParams& params, std::uint64_t seed) noexcept;
  bool next_lost() noexcept;
  // Long-run loss rate the parameters imply (for tests and `stats`).
  double expected_rate() const noexcept;

 private:
  LossParams p_{};
  Rng rng_{};
  bool bad_ = false;       // GE state
  bool last_lost_ = false;  // correlated state
};

}  // namespace faultline::shim
