// A program linked with libearly_thread.so, whose thread does UDP round
// trips from before the preload's constructor ran. Prints
// "first-io-before-segment 0|1", then answers each stdin line: "report"
// prints "rounds R failures F"; "quit" stops the thread and exits 0.
#include <cstdio>
#include <cstring>

#include "early_thread.h"

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("first-io-before-segment %d\n", early_thread_report().first_io_before_segment ? 1 : 0);
  char line[64];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    if (std::strncmp(line, "quit", 4) == 0) break;
    const EarlyThreadReport r = early_thread_report();
    std::printf("rounds %llu failures %llu\n", static_cast<unsigned long long>(r.rounds),
                static_cast<unsigned long long>(r.failures));
  }
  early_thread_stop();
  return 0;
}
