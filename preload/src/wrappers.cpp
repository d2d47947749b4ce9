// The exported wrappers. Idle path: one relaxed load of the mode word and
// the call: made here, straight to the kernel (direct_calls.h), while the
// host has no thread of its own; libc's once it has (kModeLibcCalls). The
// armed path is out of line, in armed_*.cpp.
#include <atomic>
#include <cstdint>

#include "armed.h"
#include "direct_calls.h"
#include "faultline/shim/engine.h"
#include "interpose_table.h"
#include "real_symbols.h"

namespace faultline::preload {
namespace {

template <direct::Call C, class Real, class Armed, class... Args>
__attribute__((always_inline)) inline auto wrap(Real real, Armed armed, Args... args) {
  const std::uint32_t mode = shim::g_mode.load(std::memory_order_relaxed);
  if constexpr (direct::has_direct<C>) {
    if (__builtin_expect(mode == 0, 1)) return direct::Direct<C>::fn(args...);
    if (__builtin_expect(mode == shim::kModeLibcCalls, 1)) return real(args...);
  } else {
    if (__builtin_expect(shim::idle(mode), 1)) return real(args...);
  }
  return armed(args...);
}

}  // namespace
}  // namespace faultline::preload

// Turns the table's "(a, b)" into ", a, b". Each wrapper starts a cache
// line, so its idle path (under 32 bytes) never straddles two.
#define FAULTLINE_COMMA_ARGS(...) , __VA_ARGS__
#define FAULTLINE_DEFINE_WRAPPER(ret, name, params, args)                                             \
  extern "C" __attribute__((visibility("default"), aligned(64))) ret name params {                    \
    return faultline::preload::wrap<faultline::preload::direct::Call::name>(                          \
        &faultline::preload::real::name, &faultline::preload::armed::name FAULTLINE_COMMA_ARGS args); \
  }
FAULTLINE_INTERPOSED(FAULTLINE_DEFINE_WRAPPER)
#undef FAULTLINE_DEFINE_WRAPPER
