// libFuzzer target for the experiment parser (clang, -fsanitize=fuzzer):
// whatever bytes an experiment file holds, loading it either yields an
// experiment or throws LoadError with a line number, never crashes.
// scripts/fuzz.sh runs it with the repository's experiments as seeds.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "faultline/experiment/experiment.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first byte picks the reader, as a file's extension would.
  const char* name = size > 0 && (data[0] & 1) != 0 ? "fuzz.json" : "fuzz.yaml";
  try {
    (void)faultline::experiment::parse_experiment(text, name, {{"duration", "1s"}});
  } catch (const std::exception&) {
    // Refusing a malformed experiment is the expected outcome.
  }
  return 0;
}
