// N replicas of one command, each on its own port, kept running: a replica
// that exits for any reason is started again after a backoff that doubles
// while it keeps dying young and resets once it has stayed up. This is what
// Kubernetes does for the seed's order-service pods, in one small process.
//
// The command is a template: "{replica}" becomes the replica's index (0..N-1)
// and "{port}" its port (base port + index) in every argument.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::demo {

struct RestartPolicy {
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{2000};
  std::chrono::milliseconds stable_after{10'000};  // uptime that resets the backoff
};

// `argument` with {replica} and {port} replaced.
std::string expand_replica_argument(const std::string& argument, int replica, std::uint16_t port);

// What a wait status means, for the log: "exited with 1", "killed by SIGKILL".
std::string describe_wait_status(int status);

class ReplicaSet {
 public:
  using Clock = std::chrono::steady_clock;

  ReplicaSet(std::vector<std::string> command_template, int replicas, std::uint16_t base_port,
             RestartPolicy policy);

  void start_all();
  // Records the exit of `pid` (a wait status) and schedules its restart;
  // false when `pid` is not one of the replicas.
  bool on_exit(pid_t pid, int status, Clock::time_point now);
  // Starts the replicas whose restart is due; returns when the next one is.
  std::optional<Clock::time_point> restart_due(Clock::time_point now);

  void signal_all(int signal) const;
  std::vector<pid_t> running_pids() const;
  std::uint64_t restarts() const { return restarts_; }
  // Shutting down: pending restarts are dropped and exits no longer restart.
  void stop_restarting();

 private:
  struct Replica {
    int index = 0;
    std::uint16_t port = 0;
    pid_t pid = -1;
    Clock::time_point started{};
    std::optional<Clock::time_point> restart_at;
    std::chrono::milliseconds next_delay{};
  };
  void start(Replica& replica);

  std::vector<std::string> command_template_;
  RestartPolicy policy_;
  std::vector<Replica> replicas_;
  std::uint64_t restarts_ = 0;
  bool restarting_ = true;
};

}  // namespace faultline::demo
