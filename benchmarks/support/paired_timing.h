// The same call made two ways (say, through a wrapper and directly), timed
// in adjacent batches with the order alternating from one pair to the next. On a shared machine whose
// load drifts by more than the difference under study, only the paired
// difference resolves nanoseconds: both batches of a pair see the same
// machine, and the median over many pairs ignores the pairs a preemption
// or an interrupt landed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "bench_support.h"

namespace faultline::bench {

class PairedTiming {
 public:
  void reserve(std::size_t pairs) {
    a_.reserve(pairs);
    b_.reserve(pairs);
  }

  // Times `batch` calls of f(a) and `batch` calls of f(b), adjacent;
  // returns the nanoseconds both took (for manual benchmark time). Both
  // sides run the same machine code: only the argument differs, so code
  // placement cannot favour one.
  template <class F, class Arg>
  std::int64_t run(F&& f, const Arg& a, const Arg& b, int batch) {
    const std::int64_t t0 = now_ns();
    std::int64_t a_ns = 0, b_ns = 0;
    if (a_first_) {
      a_ns = time_batch(f, a, batch);
      b_ns = time_batch(f, b, batch);
    } else {
      b_ns = time_batch(f, b, batch);
      a_ns = time_batch(f, a, batch);
    }
    a_first_ = !a_first_;
    a_.push_back(static_cast<double>(a_ns) / batch);
    b_.push_back(static_cast<double>(b_ns) / batch);
    return now_ns() - t0;
  }

  std::size_t pairs() const noexcept { return a_.size(); }
  double a_ns() const { return median(a_); }  // per call, median over batches
  double b_ns() const { return median(b_); }
  // Per call: the median over pairs of (b - a).
  double delta_ns() const { return median(deltas(0, a_.size())); }
  // The lowest and highest median of (b - a) over `chunks` consecutive
  // slices of the run: how far the delta moved while the machine's load did.
  std::pair<double, double> delta_range(std::size_t chunks) const {
    double lo = 0, hi = 0;
    const std::size_t n = a_.size() / chunks;
    for (std::size_t c = 0; c < chunks && n > 0; ++c) {
      const double m = median(deltas(c * n, (c + 1) * n));
      if (c == 0 || m < lo) lo = m;
      if (c == 0 || m > hi) hi = m;
    }
    return {lo, hi};
  }

 private:
  template <class F, class Arg>
  static std::int64_t time_batch(F& f, const Arg& arg, int batch) {
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < batch; ++i) f(arg);
    return now_ns() - t0;
  }

  std::vector<double> deltas(std::size_t from, std::size_t to) const {
    std::vector<double> d;
    d.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) d.push_back(b_[i] - a_[i]);
    return d;
  }

  std::vector<double> a_, b_;
  bool a_first_ = true;
};

}  // namespace faultline::bench
