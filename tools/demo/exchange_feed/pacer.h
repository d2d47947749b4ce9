// Sends at a steady rate on an absolute schedule (message i is due at
// start + i / rate), so sleeping late once does not slow the whole feed
// down. After a long stall (the process was paused, the machine starved it)
// the schedule restarts from now instead of bursting the backlog: an
// exchange keeps its pace, it does not replay what it could not send.
#pragma once

#include <chrono>
#include <cstdint>

namespace faultline::demo {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  Pacer(double messages_per_second, Clock::time_point start,
        std::chrono::nanoseconds max_lag = std::chrono::milliseconds(100));

  // When the next message is due; call sent() once it has gone.
  Clock::time_point next_due() const;
  // Counts a message as sent; if `now` is more than max_lag behind the
  // schedule, the schedule restarts at `now`.
  void sent(Clock::time_point now);

  std::uint64_t rebases() const { return rebases_; }

 private:
  std::chrono::duration<double, std::nano> period_;
  std::chrono::nanoseconds max_lag_;
  Clock::time_point start_;
  std::uint64_t index_ = 0;  // messages sent since start_
  std::uint64_t rebases_ = 0;
};

}  // namespace faultline::demo
