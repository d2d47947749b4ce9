// Defaults for the sanitizer runtimes of this test binary (exported: GCC's
// runtimes are shared libraries that look these up dynamically).
//
// Boost.Lockfree's freelist reads the link of a node that another producer
// may be taking at the same time; the tagged compare-exchange that follows
// discards such a read. A known, benign race inside Boost (in production the
// ring's producers are other processes, invisible to TSan).
extern "C" __attribute__((visibility("default"))) const char* __tsan_default_suppressions() {
  return "race:boost::lockfree::detail::fixed_size_freelist\n";
}
