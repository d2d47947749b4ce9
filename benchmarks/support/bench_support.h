// What every faultline benchmark shares: a clock, order statistics, and
// finding out which library a call by name reaches (the interposer under
// test) versus libc's own definition (the direct call).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace faultline::bench {

// CLOCK_MONOTONIC in nanoseconds (vDSO, no syscall): the clock faultline's
// own timestamps use, so figures taken here and in a target compare.
std::int64_t now_ns() noexcept;

// The value at quantile q in [0, 1] of `values` (nearest rank); 0 if empty.
// Reorders `values`.
double quantile(std::vector<double>& values, double q);
double median(std::vector<double> values);
// The element at index round(q * (n - 1)) of `values` sorted (0 if empty):
// the delay and wait benchmarks' percentiles; q = 0.5 is the upper median.
template <class T>
double percentile(std::vector<T> values, double q) {
  if (values.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]);
}

// libc's own definition of `name`, bypassing any interposer (looked up in
// libc.so.6 itself); null if libc has none.
void* libc_function(const char* name);
// What a call of `name` by name reaches in this process: the first
// definition in the global scope, i.e. an LD_PRELOAD interposer if one
// defines it.
void* global_function(const char* name);
// The file name (without directory) of the object that contains `address`.
std::string object_name(const void* address);

// This build's libfaultline.so.
std::string faultline_preload_path();
// The LD_PRELOAD value `fiu-run -x` uses (fiu_run_preload.so and
// fiu_posix_preload.so), or "" if libfiu's preload libraries are not
// installed.
std::string libfiu_preload();

// Makes sure `library` is preloaded into this process: if no object whose
// file name matches `library`'s is loaded, re-executes the program with
// `library` first in LD_PRELOAD (once; returns false if that did not help).
bool ensure_preloaded(char** argv, const std::string& library);

}  // namespace faultline::bench
