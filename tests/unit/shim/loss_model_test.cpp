#include "faultline/shim/loss_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sample_stats.h"

namespace faultline::shim {
namespace {

using abi::LossModel;

constexpr std::size_t kSamples = 200'000;

LossParams bernoulli(double rate) {
  LossParams p;
  p.model = LossModel::kBernoulli;
  p.rate = rate;
  return p;
}

LossParams correlated(double rate, double correlation) {
  LossParams p;
  p.model = LossModel::kCorrelated;
  p.rate = rate;
  p.correlation = correlation;
  return p;
}

LossParams gilbert_elliott(double p_, double r, double one_minus_h, double one_minus_k) {
  LossParams p;
  p.model = LossModel::kGilbertElliott;
  p.ge_p = p_;
  p.ge_r = r;
  p.ge_1h = one_minus_h;
  p.ge_1k = one_minus_k;
  return p;
}

std::vector<double> losses(const LossParams& p, std::uint64_t seed, std::size_t n = kSamples) {
  shim::LossModel m;
  m.configure(p, seed);
  std::vector<double> x(n);
  for (auto& v : x) v = m.next_lost() ? 1.0 : 0.0;
  return x;
}

double rate_of(const std::vector<double>& x) {
  double lost = 0;
  for (double v : x) lost += v;
  return lost / static_cast<double>(x.size());
}

// Mean length of runs of consecutive losses.
double mean_burst(const std::vector<double>& x) {
  std::size_t bursts = 0, lost = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    lost += x[i] != 0.0;
    bursts += x[i] != 0.0 && (i == 0 || x[i - 1] == 0.0);
  }
  return bursts ? static_cast<double>(lost) / static_cast<double>(bursts) : 0.0;
}

TEST(LossModelTest, ShouldLoseAtBernoulliRateWithinSamplingError) {
  for (double rate : {0.001, 0.01, 0.1, 0.5, 0.9}) {
    const double observed = rate_of(losses(bernoulli(rate), 101));
    EXPECT_NEAR(observed, rate, 5 * std::sqrt(rate * (1 - rate) / kSamples)) << "rate " << rate;
  }
}

TEST(LossModelTest, ShouldNeverLoseAtZeroAndAlwaysLoseAtOne) {
  for (LossParams p : {bernoulli(0.0), correlated(0.0, 0.5)}) EXPECT_EQ(rate_of(losses(p, 1, 10'000)), 0.0);
  for (LossParams p : {bernoulli(1.0), correlated(1.0, 0.5)}) EXPECT_EQ(rate_of(losses(p, 1, 10'000)), 1.0);
}

// The loss indicator of the two-state chain is AR(1)-like: autocorrelation
// C^k, so the rate's variance is inflated by (1 + C) / (1 - C), and a loss
// burst lasts 1 / (1 - P(loss|loss)) messages on average.
TEST(LossModelTest, ShouldKeepRateAndLag1CorrelationOfCorrelatedLoss) {
  constexpr double kRate = 0.1;
  for (double c : {0.0, 0.25, 0.75, 0.9}) {
    const LossParams p = correlated(kRate, c);
    const std::vector<double> x = losses(p, 202);
    EXPECT_NEAR(rate_of(x), kRate, 5 * std::sqrt(kRate * (1 - kRate) / kSamples) * test::inflation(c))
        << "C " << c;
    const double lag1 = test::lag1_autocorrelation(x.data(), x.size());
    EXPECT_NEAR(lag1, c, std::min(0.05, 5 * test::lag1_standard_error(x))) << "C " << c;
    // Bursts are geometric: mean 1 / (1 - q), sd sqrt(q) / (1 - q), about
    // n * P * (1 - q) of them.
    const double q = kRate + c * (1 - kRate);
    const double bursts = kSamples * kRate * (1 - q);
    EXPECT_NEAR(mean_burst(x), 1 / (1 - q), 5 * std::sqrt(q) / (1 - q) / std::sqrt(bursts)) << "C " << c;
  }
}

// With 1-h = 1 and 1-k = 0 a message is lost exactly in the bad state, so
// bursts are the bad state's sojourns: geometric with mean 1 / r.
TEST(LossModelTest, ShouldHaveGilbertElliottMeanBurstOfOneOverR) {
  constexpr std::size_t kN = 1'000'000;
  for (double r : {0.1, 0.25, 0.5}) {
    constexpr double kP = 0.01;
    const LossParams p = gilbert_elliott(kP, r, 1.0, 0.0);
    const std::vector<double> x = losses(p, 303, kN);
    // About n * p * r / (p + r) bursts, each with sd sqrt(1 - r) / r.
    const double bursts = kN * kP * r / (kP + r);
    const double se = std::sqrt(1 - r) / r / std::sqrt(bursts);
    EXPECT_NEAR(mean_burst(x), 1 / r, 5 * se) << "r " << r;
    EXPECT_NEAR(rate_of(x), kP / (kP + r), 5 * std::sqrt(kP / (kP + r) / kN) * test::inflation(1 - kP - r))
        << "r " << r;
  }
}

TEST(LossModelTest, ShouldLoseAtGilbertElliottExpectedRate) {
  const LossParams p = gilbert_elliott(0.05, 0.3, 0.7, 0.02);
  shim::LossModel m;
  m.configure(p, 1);
  const double expected = (0.05 / 0.35) * 0.7 + (0.3 / 0.35) * 0.02;
  EXPECT_NEAR(m.expected_rate(), expected, 1e-12);
  const std::vector<double> x = losses(p, 404);
  // The state persists with coefficient 1 - p - r; the loss draws add
  // independent noise, which only lowers the indicator's autocorrelation.
  EXPECT_NEAR(rate_of(x), expected,
              5 * std::sqrt(expected * (1 - expected) / kSamples) * test::inflation(1 - 0.05 - 0.3));
}

TEST(LossModelTest, ShouldReportExpectedRateOfEachModel) {
  shim::LossModel m;
  m.configure(bernoulli(0.2), 1);
  EXPECT_DOUBLE_EQ(m.expected_rate(), 0.2);
  m.configure(correlated(0.3, 0.9), 1);
  EXPECT_DOUBLE_EQ(m.expected_rate(), 0.3);
  m.configure(gilbert_elliott(0.0, 0.0, 1.0, 0.25), 1);  // never leaves the good state
  EXPECT_DOUBLE_EQ(m.expected_rate(), 0.25);
}

TEST(LossModelTest, ShouldRepeatLossesForSameSeed) {
  for (LossParams p : {bernoulli(0.3), correlated(0.3, 0.5), gilbert_elliott(0.1, 0.2, 0.9, 0.1)}) {
    EXPECT_EQ(losses(p, 9, 5000), losses(p, 9, 5000));
    EXPECT_NE(losses(p, 9, 5000), losses(p, 10, 5000));
  }
}

}  // namespace
}  // namespace faultline::shim
