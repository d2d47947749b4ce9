// The pause a spin loop makes between two looks: it lets the sibling
// hyperthread (or the hypervisor) run and saves the pipeline flush a
// memory-order violation costs when the awaited value changes.
#pragma once

namespace faultline::cp {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace faultline::cp
