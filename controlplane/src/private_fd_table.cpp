#include "faultline/controlplane/private_fd_table.h"

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace faultline::cp {

bool use_private_fd_table() noexcept {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_UNSHARE)
  const int saved = errno;
  // The system call, not glibc's close_range(): a sanitizer's interceptor
  // would take every descriptor of the process for closed.
  const bool ok = syscall(SYS_close_range, 0U, ~0U, CLOSE_RANGE_UNSHARE) == 0;
  errno = saved;
  return ok;
#else
  return false;
#endif
}

}  // namespace faultline::cp
