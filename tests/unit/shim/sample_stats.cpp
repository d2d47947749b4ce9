#include "sample_stats.h"

#include <algorithm>
#include <cmath>

namespace faultline::shim::test {

Summary summarize(const std::vector<double>& x) {
  Summary s;
  const auto n = static_cast<double>(x.size());
  for (double v : x) s.mean += v;
  s.mean /= n;
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d = (v - s.mean) * (v - s.mean);
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  s.sd = std::sqrt(m2);
  s.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0;
  s.lag1 = lag1_autocorrelation(x.data(), x.size());
  return s;
}

double lag1_autocorrelation(const double* x, std::size_t n) {
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    den += d * d;
    if (i + 1 < n) num += d * (x[i + 1] - mean);
  }
  return den > 0 ? num / den : 0;
}

double lag1_standard_error(const std::vector<double>& x, std::size_t batches) {
  const std::size_t len = x.size() / batches;
  std::vector<double> r(batches);
  double mean = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    r[b] = lag1_autocorrelation(x.data() + b * len, len);
    mean += r[b];
  }
  mean /= static_cast<double>(batches);
  double var = 0;
  for (double v : r) var += (v - mean) * (v - mean);
  var /= static_cast<double>(batches - 1);
  // A batch of len samples has len / x.size() of the information.
  return std::sqrt(var / static_cast<double>(batches));
}

double inflation(double rho) {
  return std::sqrt((1 + rho) / (1 - rho));
}

bool mean_within_tolerance(const Summary& s, std::size_t n, double expected_mean, double expected_sd,
                           double rho, double k) {
  const double tol = k * expected_sd / std::sqrt(static_cast<double>(n)) * inflation(rho);
  return std::abs(s.mean - expected_mean) <= tol;
}

bool stddev_within_tolerance(const Summary& s, std::size_t n, double expected_sd, double rho, double k) {
  const double tol =
      k * expected_sd * std::sqrt((s.kurtosis - 1) / (4.0 * static_cast<double>(n))) * inflation(rho);
  return std::abs(s.sd - expected_sd) <= tol;
}

double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double v = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return d;
}

double ks_critical(double na, double nb, double alpha) {
  return std::sqrt(-0.5 * std::log(alpha / 2)) * std::sqrt((na + nb) / (na * nb));
}

}  // namespace faultline::shim::test
