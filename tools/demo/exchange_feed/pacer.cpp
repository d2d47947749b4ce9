#include "pacer.h"

namespace faultline::demo {

Pacer::Pacer(double messages_per_second, Clock::time_point start, std::chrono::nanoseconds max_lag)
    : period_(1e9 / messages_per_second), max_lag_(max_lag), start_(start) {}

Pacer::Clock::time_point Pacer::next_due() const {
  return start_ + std::chrono::duration_cast<Clock::duration>(period_ * static_cast<double>(index_));
}

void Pacer::sent(Clock::time_point now) {
  if (now - next_due() > max_lag_) {
    start_ = now;
    index_ = 0;
    ++rebases_;
  }
  ++index_;
}

}  // namespace faultline::demo
