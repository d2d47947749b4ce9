// supervisor: keeps N replicas of a command running, each on its own port
// (see replica_set.h), and stops them all on SIGTERM or SIGINT: SIGTERM to
// every replica, SIGKILL to any still running after --stop-timeout, exit 0.
//
//   supervisor --replicas 3 --base-port 8081 --
//       faultline launch -l app=order-service,replica={replica} --
//       order_service --port {port} ...     (one command line)
//
// The supervisor itself is not preloaded: like a kubelet it is the platform,
// not the application. Putting `faultline launch` in the command template
// gives every replica the preload and its labels, and since launch execs in
// place the replica's pid is the service's, so `faultline kill` hits the
// service and the supervisor sees it die.

#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>

#include "faultline/demo/logging.h"
#include "faultline/demo/stop_signals.h"
#include "replica_set.h"

namespace {

using namespace faultline::demo;
using Clock = ReplicaSet::Clock;

// Waits for SIGCHLD, SIGINT or SIGTERM until `deadline` (none: for ever);
// returns the signal or 0 on timeout.
int wait_for_signal(std::optional<Clock::time_point> deadline) {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal : {SIGCHLD, SIGINT, SIGTERM}) sigaddset(&set, signal);
  for (;;) {
    if (!deadline) {
      const int signal = sigwaitinfo(&set, nullptr);
      if (signal > 0) return signal;
      continue;
    }
    const auto left = std::max(Clock::duration::zero(), *deadline - Clock::now());
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    const timespec wait{static_cast<time_t>(seconds.count()),
                        static_cast<long>(std::chrono::nanoseconds(left - seconds).count())};
    const int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) return signal;
    if (errno == EAGAIN) return 0;
  }
}

void reap_exited(ReplicaSet& replicas) {
  int status = 0;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) replicas.on_exit(pid, status, Clock::now());
}

void stop_all(ReplicaSet& replicas, std::chrono::milliseconds stop_timeout) {
  replicas.stop_restarting();
  replicas.signal_all(SIGTERM);
  const auto deadline = Clock::now() + stop_timeout;
  while (!replicas.running_pids().empty() && Clock::now() < deadline) {
    if (wait_for_signal(deadline) == SIGCHLD) reap_exited(replicas);
  }
  for (const pid_t pid : replicas.running_pids()) {
    spdlog::warn("replica pid {} ignored SIGTERM for {}ms: SIGKILL", pid, stop_timeout.count());
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    replicas.on_exit(pid, status, Clock::now());
  }
}

}  // namespace

int main(int argc, char** argv) {
  install_stop_signals();
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, nullptr);  // delivered through wait_for_signal
  init_logging("supervisor");

  int replica_count = 3;
  std::uint16_t base_port = 8081;
  RestartPolicy policy;
  std::int64_t first_delay_ms = policy.first_delay.count(), max_delay_ms = policy.max_delay.count();
  std::int64_t stop_timeout_ms = 5000;
  std::vector<std::string> command;
  const CLI::AsNumberWithUnit milliseconds(std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}});

  CLI::App app{"Keeps N replicas of a command running; {replica} and {port} in the command are substituted"};
  app.add_option("--replicas", replica_count, "how many replicas")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--base-port", base_port, "port of replica 0; replica i gets base + i")
      ->capture_default_str();
  app.add_option("--restart-delay", first_delay_ms,
                 "first restart delay (doubles while a replica dies young)")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("--max-restart-delay", max_delay_ms, "longest restart delay")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("--stop-timeout", stop_timeout_ms, "how long replicas get to stop after SIGTERM")
      ->transform(milliseconds)
      ->capture_default_str();
  app.add_option("command", command, "the replica's command, after --")->required();
  CLI11_PARSE(app, argc, argv);
  policy.first_delay = std::chrono::milliseconds(first_delay_ms);
  policy.max_delay = std::chrono::milliseconds(max_delay_ms);

  ReplicaSet replicas(command, replica_count, base_port, policy);
  replicas.start_all();
  for (;;) {
    const int signal = wait_for_signal(replicas.restart_due(Clock::now()));
    if (signal == SIGCHLD) reap_exited(replicas);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("signal {}: stopping {} replicas", signal, replicas.running_pids().size());
      break;
    }
  }
  stop_all(replicas, std::chrono::milliseconds(stop_timeout_ms));
  spdlog::info("stopped after {} restarts", replicas.restarts());
  return 0;
}
