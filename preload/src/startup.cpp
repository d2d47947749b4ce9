// Start-up and shutdown of libfaultline.so inside the host process.
//
//   constructor  resolves the real symbols, reads the environment and, unless
//                FAULTLINE_DISABLE=1, creates the segment and starts the apply
//                thread (cp::Target) with the plan manager as its handler. Any
//                failure leaves the process in pure pass-through, silently.
//   destructor   (process exit) back to pass-through, unlink the segment;
//                _exit and _Exit unlink it too (exit_hooks.cpp).
//   fork         the child gets its own segment and apply thread
//                (Target::restart_in_child) and starts with no faults: the
//                parent's are not inherited, because a tool that armed them
//                addressed the parent's pid and could neither see nor clear
//                them in a child it does not know about.
//   exec         keeps the preload as long as LD_PRELOAD stays in the
//                environment (the new image runs this constructor again, for
//                the same pid); a program that clears LD_PRELOAD before exec
//                runs its new image without faultline.
//
// Environment: FAULTLINE_LABELS ("k=v,k=v", copied into the segment),
// FAULTLINE_TELEMETRY=1 (record from the start), FAULTLINE_MAX_FOR=D (the
// longest --for a command may ask, e.g. 10m), FAULTLINE_DISABLE=1.
#include "startup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/segment.h"
#include "faultline/controlplane/target.h"
#include "faultline/shim/delay_line.h"
#include "faultline/shim/plan_manager.h"
#include "host_exit_watch.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

// Placement storage, never destroyed: application threads may still run
// wrappers while the process exits, so nothing they read may be torn down.
alignas(cp::Target) unsigned char g_target_storage[sizeof(cp::Target)];
alignas(shim::PlanManager) unsigned char g_manager_storage[sizeof(shim::PlanManager)];
alignas(HostExitWatch) unsigned char g_watch_storage[sizeof(HostExitWatch)];
cp::Target* g_target = nullptr;
shim::PlanManager* g_manager = nullptr;
HostExitWatch* g_watch = nullptr;
char g_program[abi::kProgramLen];
char g_labels[abi::kLabelsLen];
bool g_telemetry_at_start = false;

bool env_is(const char* name, const char* value) noexcept {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, value) == 0;
}

void copy_bounded(char* dst, std::size_t cap, const char* src) noexcept {
  std::size_t n = 0;
  if (src != nullptr)
    for (; n + 1 < cap && src[n] != '\0'; ++n) dst[n] = src[n];
  dst[n] = '\0';
}

// "90s", "10m", "1.5h", "250ms": a positive duration, else 0 (ignored: the
// shim cannot report a bad environment inside the host; the target's own
// limit still applies).
std::int64_t env_duration_ns(const char* name) noexcept {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* unit = nullptr;
  const double n = std::strtod(v, &unit);
  struct Unit {
    const char* name;
    double ns;
  };
  constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  for (const Unit& u : kUnits)
    if (unit != v && std::strcmp(unit, u.name) == 0 && n > 0 && n * u.ns < 9e18)
      return static_cast<std::int64_t>(n * u.ns);
  return 0;
}

void read_program_name() noexcept {
  if (program_invocation_short_name != nullptr && program_invocation_short_name[0] != '\0') {
    copy_bounded(g_program, sizeof g_program, program_invocation_short_name);
    return;
  }
  g_program[0] = '\0';
  const int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const ssize_t n = real::read(fd, g_program, sizeof g_program - 1);
  real::close(fd);
  std::size_t len = n > 0 ? static_cast<std::size_t>(n) : 0;
  while (len > 0 && g_program[len - 1] == '\n') --len;
  g_program[len] = '\0';
}

void start_target() noexcept {
  g_manager->set_telemetry(g_telemetry_at_start);
  if (!g_target->start(g_program, g_labels, g_watch)) return;
  g_manager->attach(&g_target->segment());
}

void in_child_after_fork() noexcept {
  const int saved = errno;
  shim::delay::reset_in_child();
  g_manager->reset_in_child();
  g_target->restart_in_child(g_program, g_labels);
  g_manager->set_telemetry(g_telemetry_at_start);
  if (g_target->running()) g_manager->attach(&g_target->segment());
  errno = saved;
}

__attribute__((constructor)) void faultline_start() noexcept {
  const int saved = errno;
  real::resolve_all();
  if (!env_is("FAULTLINE_DISABLE", "1")) {
    read_program_name();
    copy_bounded(g_labels, sizeof g_labels, std::getenv("FAULTLINE_LABELS"));
    g_telemetry_at_start = env_is("FAULTLINE_TELEMETRY", "1");
    g_manager = new (g_manager_storage) shim::PlanManager();
    g_manager->set_max_for(env_duration_ns("FAULTLINE_MAX_FOR"));
    g_watch = new (g_watch_storage) HostExitWatch(g_manager);
    g_target = new (g_target_storage) cp::Target();
    start_target();
    pthread_atfork(nullptr, nullptr, &in_child_after_fork);
  }
  errno = saved;
}

// Exit: pass-through from here on, and the segment's name goes away so
// tools stop listing the process. The apply thread and the mapping are left
// for the kernel to reclaim a moment later: Target::stop() would unmap the
// segment while other application threads may still be inside a wrapper
// holding a pointer into it (telemetry, counters), and fault them.
__attribute__((destructor)) void faultline_stop() noexcept {
  if (g_target == nullptr) return;
  const int saved = errno;
  g_manager->detach();
  unlink_own_segment();
  errno = saved;
}

}  // namespace

int shim_threads() noexcept {
  return (g_target != nullptr && g_target->running() ? 1 : 0) + shim::delay::threads();
}

void unlink_own_segment() noexcept {
  if (g_target == nullptr || !g_target->running()) return;
  const pid_t pid = getpid();
  if (g_target->segment().pid() == pid) cp::Segment::unlink(pid);
}
}  // namespace faultline::preload
