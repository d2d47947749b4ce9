#include "replica_set.h"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "faultline/demo/stop_signals.h"

namespace faultline::demo {
namespace {

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

double seconds_between(ReplicaSet::Clock::time_point from, ReplicaSet::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::string expand_replica_argument(const std::string& argument, int replica, std::uint16_t port) {
  std::string expanded = argument;
  replace_all(expanded, "{replica}", std::to_string(replica));
  replace_all(expanded, "{port}", std::to_string(port));
  return expanded;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by ") +
           (name != nullptr ? std::string("SIG") + name : std::to_string(WTERMSIG(status)));
  }
  return "stopped with status " + std::to_string(status);
}

ReplicaSet::ReplicaSet(std::vector<std::string> command_template, int replicas, std::uint16_t base_port,
                       RestartPolicy policy)
    : command_template_(std::move(command_template)), policy_(policy) {
  for (int i = 0; i < replicas; ++i) {
    Replica replica;
    replica.index = i;
    replica.port = static_cast<std::uint16_t>(base_port + i);
    replica.next_delay = policy_.first_delay;
    replicas_.push_back(replica);
  }
}

void ReplicaSet::start_all() {
  for (Replica& replica : replicas_) start(replica);
}

void ReplicaSet::start(Replica& replica) {
  std::vector<std::string> arguments;
  for (const auto& argument : command_template_)
    arguments.push_back(expand_replica_argument(argument, replica.index, replica.port));
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child must not outlive the supervisor (a killed supervisor would
    // leave orphans holding the ports) nor inherit its signal set-up.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    restore_default_signals();
    execvp(argv[0], argv.data());
    _exit(127);
  }
  replica.restart_at.reset();
  replica.started = Clock::now();
  if (pid < 0) {
    spdlog::error("replica {}: fork failed: {}", replica.index, std::strerror(errno));
    replica.restart_at = replica.started + replica.next_delay;
    return;
  }
  replica.pid = pid;
  spdlog::info("replica {} started: pid {}, port {}", replica.index, pid, replica.port);
}

bool ReplicaSet::on_exit(pid_t pid, int status, Clock::time_point now) {
  const auto it =
      std::find_if(replicas_.begin(), replicas_.end(), [pid](const Replica& r) { return r.pid == pid; });
  if (it == replicas_.end()) return false;
  Replica& replica = *it;
  replica.pid = -1;
  if (!restarting_) {
    spdlog::info("replica {} (pid {}) {}", replica.index, pid, describe_wait_status(status));
    return true;
  }
  if (now - replica.started >= policy_.stable_after) replica.next_delay = policy_.first_delay;
  replica.restart_at = now + replica.next_delay;
  spdlog::warn("replica {} (pid {}) {} after {:.1f}s; restarting in {}ms", replica.index, pid,
               describe_wait_status(status), seconds_between(replica.started, now),
               replica.next_delay.count());
  replica.next_delay = std::min(replica.next_delay * 2, policy_.max_delay);
  return true;
}

std::optional<ReplicaSet::Clock::time_point> ReplicaSet::restart_due(Clock::time_point now) {
  std::optional<Clock::time_point> next;
  for (Replica& replica : replicas_) {
    if (!replica.restart_at) continue;
    if (*replica.restart_at <= now) {
      ++restarts_;
      start(replica);
    }
    if (replica.restart_at && (!next || *replica.restart_at < *next)) next = replica.restart_at;
  }
  return next;
}

void ReplicaSet::signal_all(int signal) const {
  for (const Replica& replica : replicas_) {
    if (replica.pid > 0) kill(replica.pid, signal);
  }
}

std::vector<pid_t> ReplicaSet::running_pids() const {
  std::vector<pid_t> pids;
  for (const Replica& replica : replicas_) {
    if (replica.pid > 0) pids.push_back(replica.pid);
  }
  return pids;
}

void ReplicaSet::stop_restarting() {
  restarting_ = false;
  for (Replica& replica : replicas_) replica.restart_at.reset();
}

}  // namespace faultline::demo
