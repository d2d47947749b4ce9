// SIGINT/SIGTERM while a run is in progress: the handler only records the
// signal; the runner notices, stops the method and still rolls back.
#pragma once

namespace faultline::experiment {

class InterruptGuard {
 public:
  InterruptGuard();  // installs the handlers (restored by the destructor)
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// The signal received since the last reset, or 0.
int interrupt_signal() noexcept;
void reset_interrupt() noexcept;

}  // namespace faultline::experiment
