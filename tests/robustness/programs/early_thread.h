// libearly_thread.so: a library whose constructor starts a thread doing UDP
// round trips on loopback before the preload's constructor has run (the
// dynamic loader initialises a program's own libraries before LD_PRELOAD
// ones that do not depend on them).
#pragma once

#include <cstdint>

extern "C" {

struct EarlyThreadReport {
  bool first_io_before_segment;  // /dev/shm/faultline.<pid> absent at the first round trip
  std::uint64_t rounds;
  std::uint64_t failures;
};

// What the thread did so far.
__attribute__((visibility("default"))) EarlyThreadReport early_thread_report();
// Stops the thread and waits for it.
__attribute__((visibility("default"))) void early_thread_stop();
}
