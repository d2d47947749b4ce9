// Held by every test that leaves an exited process's segment behind and
// looks at it, and by every test that removes such segments (`ps --gc`,
// cp::gc_dead_segments): under ctest -j they run in separate processes at
// the same time, and one's gc must not remove another's dead segment
// between its steps. An flock on a fixed file: released when the holder
// exits, even if it crashes.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace faultline::testing {

class SegmentGcLock {
 public:
  SegmentGcLock() : fd_(open("/tmp/faultline-test-segment-gc.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0666)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~SegmentGcLock() {
    if (fd_ >= 0) close(fd_);
  }
  SegmentGcLock(const SegmentGcLock&) = delete;
  SegmentGcLock& operator=(const SegmentGcLock&) = delete;

 private:
  int fd_;
};

}  // namespace faultline::testing
