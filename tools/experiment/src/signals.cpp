#include "signals.h"

#include <signal.h>

#include <atomic>

namespace faultline::experiment {

namespace {

std::atomic<int> g_signal{0};
std::atomic<int> g_guards{0};
struct sigaction g_old_int, g_old_term;

extern "C" void on_interrupt(int sig) {
  g_signal.store(sig, std::memory_order_relaxed);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  if (g_guards.fetch_add(1) != 0) return;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  if (g_guards.fetch_sub(1) != 1) return;
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

int interrupt_signal() noexcept {
  return g_signal.load(std::memory_order_relaxed);
}
void reset_interrupt() noexcept {
  g_signal.store(0, std::memory_order_relaxed);
}

}  // namespace faultline::experiment
