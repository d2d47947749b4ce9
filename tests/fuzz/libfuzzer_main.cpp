// libFuzzer entry point (clang, -fsanitize=fuzzer): scripts/fuzz.sh runs it
// for a bounded time in the test command.
#include <cstddef>
#include <cstdint>

#include "command_decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Half the inputs are raw ring entries, half patches of valid commands.
  if (size > 0 && (data[0] & 0x80) != 0) {
    faultline::fuzz::decode_and_apply(data + 1, size - 1);
  } else {
    faultline::fuzz::apply_patched(data, size);
  }
  return 0;
}
