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
  double rate = 0.0;         // Bernoulli / correlated: P(loss), clamped to [0, 1]
  double correlation = 0.0;  // correlated: clamped to [0, 1]
  // Gilbert-Elliott: good->bad with p, bad->good with r; a message is lost
  // with 1-h in the bad state and 1-k in the good state. The state at the
  // message decides its fate, then the chain steps (netem's order).
  double ge_p = 0.0, ge_r = 1.0, ge_1h = 1.0, ge_1k = 0.0;
};

class LossModel {
 public:
  // The chain starts in a state drawn from its stationary law, so the loss
  // rate holds from the first message.
  void configure(const LossParams& params, std::uint64_t seed) noexcept;
  bool next_lost() noexcept;
  // Long-run loss rate the parameters imply (for tests and `stats`).
  double expected_rate() const noexcept;

 private:
  LossParams p_{};
  Rng rng_{};
  // Correlated: P(loss | previous lost), P(loss | previous kept).
  double p_after_loss_ = 0.0, p_after_keep_ = 0.0;
  bool bad_ = false;        // GE state
  bool last_lost_ = false;  // correlated state
};

}  // namespace faultline::shim
