// ThreadSanitizer refuses new threads in the child of a multi-threaded fork
// by default; the fork-restart test does exactly that on purpose (the
// preload's atfork handler restarts the apply thread in the child).
extern "C" const char* __tsan_default_options() {
  return "die_after_fork=0";
}
