#include "faultline/demo/stop_signals.h"

#include <cerrno>
#include <csignal>
#include <ctime>

namespace faultline::demo {
namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

timespec to_timespec(std::chrono::nanoseconds d) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d);
  return {static_cast<time_t>(seconds.count()), static_cast<long>((d - seconds).count())};
}

}  // namespace

void install_stop_signals() {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void restore_default_signals() {
  std::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

std::optional<int> wait_for_stop_signal(std::optional<std::chrono::milliseconds> timeout) {
  const sigset_t set = stop_set();
  if (!timeout) {
    for (;;) {
      const int signal = sigwaitinfo(&set, nullptr);
      if (signal > 0) return signal;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return std::nullopt;
    const timespec wait = to_timespec(left);
    const int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) return signal;
    if (errno == EAGAIN) return std::nullopt;  // EINTR: another signal's handler ran; wait on
  }
}

}  // namespace faultline::demo
