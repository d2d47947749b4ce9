#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded
# time: a corrupt ring entry or experiment file must never crash faultline.
#   FAULTLINE_FUZZ_SECONDS=60 scripts/fuzz.sh   (seconds per target; default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FAULTLINE_FUZZ_SECONDS:-30}

echo "==> [fuzz] configure and build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2

corpus_root=build/fuzz/corpus
shopt -s nullglob
fuzzers=(build/fuzz/tests/fuzz/*_fuzzer)
[ ${#fuzzers[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets were built under build/fuzz/tests/fuzz" >&2; exit 1; }
for fuzzer in "${fuzzers[@]}"; do
  name=$(basename "$fuzzer")
  mkdir -p "$corpus_root/$name"
  seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  # The parser starts from the repository's own experiments.
  [ "$name" = experiment_loader_fuzzer ] && seeds+=(tools/demo/experiments tests/experiment/data)
  echo "==> [fuzz] $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$corpus_root/$name" "${seeds[@]}" 2>&1 | tail -n 12
done
