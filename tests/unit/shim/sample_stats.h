// Sample statistics and the tolerances the model tests derive from the
// sample size. Correlated sequences here are functions of a latent AR(1)
// (or a two-state chain) with coefficient rho; any such function's
// autocorrelation at lag k is at most rho^k, so the variance of a sample
// average is at most (1 + rho) / (1 - rho) times the independent case:
// inflation(rho) is the square root of that factor.
#pragma once

#include <cstddef>
#include <vector>

namespace faultline::shim::test {

struct Summary {
  double mean = 0;
  double sd = 0;        // population-style (divides by n)
  double kurtosis = 0;  // E[(x - mean)^4] / sd^4
  double lag1 = 0;      // lag-1 autocorrelation
};

Summary summarize(const std::vector<double>& x);
double lag1_autocorrelation(const double* x, std::size_t n);
// Standard error of the lag-1 autocorrelation estimated by batch means (the
// spread of the estimate over `batches` consecutive blocks).
double lag1_standard_error(const std::vector<double>& x, std::size_t batches = 25);

double inflation(double rho);

// |mean - expected| <= k * expected_sd / sqrt(n) * inflation(rho).
bool mean_within_tolerance(const Summary& s, std::size_t n, double expected_mean, double expected_sd,
                           double rho, double k = 5.0);
// |sd - expected| <= k * expected_sd * sqrt((kurtosis - 1) / (4 n)) * inflation(rho): the delta
// method on the sample variance, whose standard error is sd^2 sqrt((kurtosis - 1) / n).
bool stddev_within_tolerance(const Summary& s, std::size_t n, double expected_sd, double rho, double k = 5.0);

// Two-sample Kolmogorov-Smirnov statistic sup |F_a - F_b| (sorts copies).
double ks_statistic(std::vector<double> a, std::vector<double> b);
// Critical value for effective sample sizes na, nb at significance alpha.
double ks_critical(double na, double nb, double alpha);

}  // namespace faultline::shim::test
