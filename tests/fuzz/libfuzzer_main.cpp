// libFuzzer entry point (clang, -fsanitize=fuzzer): scripts/fuzz.sh runs it
// for a bounded time in the test command.
#include <cstddef>
#include <cstdint>

#include "command_decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  faultline::fuzz::decode_and_apply(data, size);
  return 0;
}
