// The ways a host process makes processes, run under the preload for the
// robustness tests. Every mode prints one line per fact on stdout and ends
// normally (exit 0) on SIGTERM, so segments go away as they would in a
// service.
//
//   process_probe fork
//       forks; parent and child each print "parent PID" / "child PID", do a
//       UDP round trip ("io PID ok") and wait for SIGTERM (the parent passes
//       it on and waits for the child).
//   process_probe fork-exec PROGRAM [ARGS...]
//       forks; the child execs PROGRAM; the parent prints "child PID" and
//       waits for SIGTERM (passed on).
//   process_probe exec PROGRAM [ARGS...]
//       prints "pid PID", waits for a line on stdin, execs PROGRAM.
//   process_probe vfork N
//       N times: vfork, the child redirects stdin (dup2, close) and execs
//       /bin/true; N more: vfork and _exit(3). Prints "vfork exec-ok K
//       exit3 K", then "segment 1" if its own segment still exists and
//       "io ok" after a UDP round trip, then waits for SIGTERM.
//   process_probe posix-spawn N
//       N times posix_spawn of /bin/false with file actions; prints
//       "spawn exit1 K", then like vfork.
//   process_probe fork-storm N
//       while a thread does UDP round trips without pause, forks N children
//       one after the other; each child checks its own segment exists, does
//       a round trip and exits normally. Prints "storm children N segment K
//       io K left L" (L: children's segments left after they exited), then
//       "busy rounds R mismatches M".
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "faultline/testing/loopback.h"

extern char** environ;

namespace {

volatile sig_atomic_t g_stop = 0;
volatile pid_t g_child = 0;

void on_term(int) {
  g_stop = 1;
  if (g_child > 0) kill(g_child, SIGTERM);
}

void install_term_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
}

// One line in a single write, so lines of parent and child never interleave.
void say(const std::string& line) {
  const std::string text = line + "\n";
  (void)!write(STDOUT_FILENO, text.data(), text.size());
}

bool own_segment_exists() {
  struct stat st {};
  return stat(("/dev/shm/faultline." + std::to_string(getpid())).c_str(), &st) == 0;
}

// A datagram from one loopback socket to another and back.
bool udp_round_trip(std::uint32_t token) {
  const int a = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int b = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const std::uint16_t port = faultline::testing::bind_loopback(a);
  sockaddr_in addr = faultline::testing::loopback(port);
  bool ok = port != 0 && sendto(b, &token, sizeof token, 0, reinterpret_cast<sockaddr*>(&addr),
                                sizeof addr) == sizeof token;
  std::uint32_t got = 0;
  sockaddr_in from{};
  socklen_t from_len = sizeof from;
  ok = ok && recvfrom(a, &got, sizeof got, 0, reinterpret_cast<sockaddr*>(&from), &from_len) == sizeof got &&
       got == token &&
       sendto(a, &got, sizeof got, 0, reinterpret_cast<sockaddr*>(&from), from_len) == sizeof got;
  std::uint32_t back = 0;
  ok = ok && recv(b, &back, sizeof back, 0) == sizeof back && back == token;
  close(a);
  close(b);
  return ok;
}

void wait_for_term() {
  sigset_t none;
  sigemptyset(&none);
  while (!g_stop) sigsuspend(&none);
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int run_fork() {
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    say("child " + std::to_string(getpid()));
    say("io " + std::to_string(getpid()) + (udp_round_trip(2) ? " ok" : " failed"));
    wait_for_term();
    return 0;
  }
  g_child = pid;
  say("parent " + std::to_string(getpid()));
  say("io " + std::to_string(getpid()) + (udp_round_trip(1) ? " ok" : " failed"));
  wait_for_term();
  reap(pid);
  return 0;
}

int run_fork_exec(char** program) {
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execve(program[0], program, environ);
    _exit(127);
  }
  g_child = pid;
  say("child " + std::to_string(pid));
  wait_for_term();
  reap(pid);
  return 0;
}

int run_exec(char** program) {
  say("pid " + std::to_string(getpid()));
  char line[16];
  if (read(STDIN_FILENO, line, sizeof line) <= 0) return 1;
  execve(program[0], program, environ);
  return 127;
}

void finish_as_parent() {
  say(std::string("segment ") + (own_segment_exists() ? "1" : "0"));
  say(std::string("io ") + (udp_round_trip(7) ? "ok" : "failed"));
  wait_for_term();
}

// Each vfork in a function of its own: the child borrows this frame, and
// nothing the caller keeps in registers across the call can be clobbered.
__attribute__((noinline)) int vfork_and_exec_true() {
  const pid_t pid = vfork();
  if (pid == 0) {
    // What a shell does between vfork and exec: wrapped calls in a child
    // that shares the parent's memory.
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    close(null_fd);
    char true_path[] = "/bin/true";
    char* const argv[] = {true_path, nullptr};
    execve(argv[0], argv, environ);
    _exit(127);
  }
  return pid > 0 ? reap(pid) : -1;
}

__attribute__((noinline)) int vfork_and_exit3() {
  const pid_t pid = vfork();
  if (pid == 0) _exit(3);
  return pid > 0 ? reap(pid) : -1;
}

int run_vfork(int n) {
  int exec_ok = 0, exit3 = 0;
  for (int i = 0; i < n; ++i)
    if (vfork_and_exec_true() == 0) ++exec_ok;
  for (int i = 0; i < n; ++i) {
    const int status = vfork_and_exit3();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) ++exit3;
  }
  say("vfork exec-ok " + std::to_string(exec_ok) + " exit3 " + std::to_string(exit3));
  finish_as_parent();
  return 0;
}

int run_posix_spawn(int n) {
  int exit1 = 0;
  char false_path[] = "/bin/false";
  char* const argv[] = {false_path, nullptr};
  for (int i = 0; i < n; ++i) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, 9);
    posix_spawn_file_actions_addclose(&actions, 9);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ) == 0) {
      const int status = reap(pid);
      if (WIFEXITED(status) && WEXITSTATUS(status) == 1) ++exit1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  say("spawn exit1 " + std::to_string(exit1));
  finish_as_parent();
  return 0;
}

std::atomic<bool> g_busy_stop{false};
std::atomic<long> g_busy_rounds{0}, g_busy_mismatches{0};

void* busy_io(void*) {
  std::uint32_t token = 100;
  while (!g_busy_stop.load(std::memory_order_relaxed)) {
    if (!udp_round_trip(token++)) g_busy_mismatches.fetch_add(1);
    g_busy_rounds.fetch_add(1);
  }
  return nullptr;
}

int run_fork_storm(int n) {
  pthread_t busy;
  pthread_create(&busy, nullptr, busy_io, nullptr);
  int with_segment = 0, with_io = 0, left = 0;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int code = (own_segment_exists() ? 1 : 0) | (udp_round_trip(9) ? 2 : 0);
      std::exit(code);  // a normal exit: the child's segment goes with it
    }
    if (pid < 0) continue;
    const int status = reap(pid);
    if (WIFEXITED(status)) {
      with_segment += WEXITSTATUS(status) & 1;
      with_io += (WEXITSTATUS(status) >> 1) & 1;
    }
    struct stat st {};
    if (stat(("/dev/shm/faultline." + std::to_string(pid)).c_str(), &st) == 0) ++left;
  }
  g_busy_stop = true;
  pthread_join(busy, nullptr);
  say("storm children " + std::to_string(n) + " segment " + std::to_string(with_segment) + " io " +
      std::to_string(with_io) + " left " + std::to_string(left));
  say("busy rounds " + std::to_string(g_busy_rounds.load()) + " mismatches " +
      std::to_string(g_busy_mismatches.load()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  install_term_handler();
  const std::string mode = argc > 1 ? argv[1] : "";
  const int n = argc > 2 ? std::atoi(argv[2]) : 0;
  if (mode == "fork") return run_fork();
  if (mode == "fork-exec" && argc > 2) return run_fork_exec(argv + 2);
  if (mode == "exec" && argc > 2) return run_exec(argv + 2);
  if (mode == "vfork") return run_vfork(n);
  if (mode == "posix-spawn") return run_posix_spawn(n);
  if (mode == "fork-storm") return run_fork_storm(n);
  std::fprintf(stderr, "usage: process_probe fork|fork-exec|exec|vfork|posix-spawn|fork-storm ...\n");
  return 2;
}
