// The process-ending calls libfaultline.so interposes, declared once:
//   X(<name>)   void <name>(int status), noreturn
// Not gated by the mode word: whatever is armed, a process that ends with
// _exit or _Exit (dash ends every shell and subshell that way, vfork/fork
// children do, os._exit does) runs no destructor, so without this its
// segment would stay in /dev/shm until `faultline ps --gc`. The wrapper
// unlinks the segment when this process owns it (not in a vfork child, which
// shares the parent's memory but has its own pid) and calls the real one.
#pragma once

#define FAULTLINE_INTERPOSED_EXIT(X) \
  X(_exit)                           \
  X(_Exit)
