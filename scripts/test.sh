#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, then builds and
# runs every test suite: the release build (unit, integration against real
# processes and a real PostgreSQL, CLI), the ASan+UBSan and TSan builds of the
# shim, preload and control plane, and a bounded fuzzing run.
#
#   scripts/test.sh            everything
#   scripts/test.sh release    only the release build and its tests
#   scripts/test.sh asan|tsan|fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(release asan tsan fuzz)

scripts/install-deps.sh

jobs=2
export CTEST_OUTPUT_ON_FAILURE=1
# Sanitizer runtimes: the preload is loaded into helper programs built with the
# same sanitizer, so the runtime is already first in the link order.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

run_preset() {
  local preset=$1
  echo "==> [$preset] configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "==> [$preset] test"
  ctest --preset "$preset" -j "$jobs" --timeout 300
}

for stage in "${stages[@]}"; do
  started=$SECONDS
  case "$stage" in
    release | asan | tsan) run_preset "$stage" ;;
    fuzz)
      scripts/fuzz.sh
      ;;
    *) echo "test.sh: unknown stage '$stage': expected release, asan, tsan or fuzz" >&2; exit 2 ;;
  esac
  echo "==> [$stage] passed in $((SECONDS - started)) s"
done
echo "==> all test stages passed: ${stages[*]}"
