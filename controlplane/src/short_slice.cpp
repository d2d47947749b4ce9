#include "faultline/controlplane/short_slice.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace faultline::cp {
namespace {

// The kernel's struct sched_attr (linux/sched/types.h clashes with <sched.h>).
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime, sched_deadline, sched_period;
  std::uint32_t sched_util_min, sched_util_max;
};
static_assert(sizeof(SchedAttr) == 56, "SCHED_ATTR_SIZE_VER1");

}  // namespace

void request_short_slice(std::uint64_t slice_ns) noexcept {
  const int saved_errno = errno;
  SchedAttr attr{};
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0 && attr.sched_policy == SCHED_OTHER) {
    attr.size = sizeof attr;
    attr.sched_flags = 0;
    attr.sched_runtime = slice_ns;
    (void)syscall(SYS_sched_setattr, 0, &attr, 0);
  }
  errno = saved_errno;
}

}  // namespace faultline::cp
