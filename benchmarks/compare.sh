#!/usr/bin/env bash
# The performance proof (SPEC.md, Performance): runs every comparison side
# by side in one go and prints one table -- figure, ours, baseline,
# ratio/delta, SPEC target, pass/fail -- and writes it as markdown to
# <build>/benchmarks/latest.md (the README shows it). Every number in the
# table comes from a measurement of this run; the raw results stay in
# <build>/benchmarks/compare/.
#
#   benchmarks/compare.sh [--build-dir DIR]
#
# Without --build-dir it uses the release preset (build/release), configured
# and built here if needed: only what it runs (the faultline_benchmarks
# target, and the CLI for its row). DIR must be a Release build tree of
# this source tree.
#
# Uses: python3 (the table); optional, each row says when it is missing:
# libfiu's preload (fiu-utils), valgrind (instruction counts), PostgreSQL 15
# server binaries and pgbench (the libpq row), the faultline CLI.
# A few minutes on 2 cores.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=""
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir)
      build=$(cd "$2" && pwd)
      shift 2
      ;;
    *)
      echo "usage: benchmarks/compare.sh [--build-dir DIR]" >&2
      exit 2
      ;;
  esac
done

log() { echo "compare: $*" >&2; }

if [ -z "$build" ]; then
  build=$root/build/release
  if [ ! -f "$build/build.ninja" ]; then
    log "configuring the release preset"
    (cd "$root" && cmake --preset release >/dev/null)
  fi
  (cd "$root" && cmake --build --preset release --target faultline_benchmarks)
else
  cmake --build "$build" -j 2 --target faultline_benchmarks
fi
# The CLI is optional here: its row says so if it does not build.
cmake --build "$build" -j 2 --target faultline >/dev/null 2>&1 || log "the faultline CLI did not build; its row is skipped"

bin=$build/benchmarks
preload=$build/preload/libfaultline.so
out=$bin/compare
rm -rf "$out"
mkdir -p "$out"
values=$out/script-values.txt # "key value..." lines measured by this script
: >"$values"

libfiu=""
for dir in /usr/lib/fiu /usr/lib/x86_64-linux-gnu/fiu /usr/local/lib/fiu; do
  if [ -f "$dir/fiu_run_preload.so" ] && [ -f "$dir/fiu_posix_preload.so" ]; then
    libfiu="$dir/fiu_run_preload.so $dir/fiu_posix_preload.so"
    break
  fi
done
[ -n "$libfiu" ] || log "libfiu's preload is not installed (fiu-utils): its columns are skipped"

# Started helpers are ended on any exit; a signal ends them without their
# exit handlers, so their segments are removed here.
cleanup_pids=()
pg_dir=""
cleanup() {
  local pid
  for pid in "${cleanup_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "/dev/shm/faultline.$pid"
  done
  [ -z "$pg_dir" ] || "$root/scripts/pg-temp.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  rm -f "$out"/fiu-*.in "$out"/fiu-*.out
}
trap cleanup EXIT

{
  echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cpus $(nproc)"
  echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >>"$values"

# run_bench NAME BINARY FILTER [VAR=VALUE...]: the benchmarks of BINARY
# that match FILTER, in that environment; JSON into $out/NAME.json.
run_bench() {
  local name=$1 binary=$2 filter=$3
  shift 3
  env "$@" "$bin/$binary" --benchmark_filter="$filter" --benchmark_format=json \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json >/dev/null 2>"$out/$name.log" ||
    log "$binary failed: see $out/$name.log"
}

# Same process, paired calls (bench_idle_call), once per interposer.
log "idle call, in-process (no preload / libfaultline.so / libfiu)"
run_bench idle_none bench_idle_call .
# FAULTLINE_DIRECT_SYSCALLS=0: the wrapper calls libc's function, as it does
# in a host with threads of its own, so both sides of the pair take the
# same libc path and the difference is the wrapper. A single-threaded
# host's direct calls are measured whole-process below.
run_bench idle_faultline bench_idle_call . LD_PRELOAD="$preload" FAULTLINE_DIRECT_SYSCALLS=0
if [ -n "$libfiu" ]; then
  # As `fiu-run -x` runs a program: remote control on, nothing enabled.
  run_bench idle_libfiu bench_idle_call . LD_PRELOAD="$libfiu" FIU_ENABLE= FIU_CTRL_FIFO="$out/fiu-idle"
fi
log "idle call, whole process (workers taking turns)"
run_bench whole bench_whole_process .

# Instructions per call under callgrind: deterministic, load-independent.
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
  log "instructions per call (callgrind)"
  calls=20000
  toggles=()
  for call in read_ebadf recv_eagain send_eagain; do
    for side in direct interposed; do toggles+=("--toggle-collect=faultline_loop_${call}_$side"); done
  done
  count_instructions() {
    local name=$1 mode=$2
    shift 2
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$out/$name.callgrind" "${toggles[@]}" \
      "$bin/idle_call_instructions" "$calls" "$mode" >/dev/null 2>"$out/$name.log" || {
      log "callgrind $name failed: see $out/$name.log"
      return 0
    }
    callgrind_annotate --inclusive=yes --threshold=100 "$out/$name.callgrind" 2>/dev/null |
      awk -v n="$name" -v calls="$calls" '
        /faultline_loop_|__pthread_(en|dis)able_asynccancel/ {
          gsub(",", "", $1)
          match($0, /(faultline_loop_[a-z_]+|__pthread_(en|dis)able_asynccancel)/)
          f = substr($0, RSTART, RLENGTH)
          if (!(f in seen)) { seen[f] = 1; printf "instructions %s %s %.2f\n", n, f, $1 / calls }
        }' >>"$values"
  }
  count_instructions none_idle idle
  count_instructions faultline_idle idle LD_PRELOAD="$preload" FAULTLINE_DIRECT_SYSCALLS=0
  count_instructions faultline_direct idle LD_PRELOAD="$preload"
  count_instructions faultline_armed armed LD_PRELOAD="$preload" FAULTLINE_DIRECT_SYSCALLS=0
  count_instructions faultline_telemetry telemetry LD_PRELOAD="$preload" FAULTLINE_DIRECT_SYSCALLS=0
  [ -z "$libfiu" ] || count_instructions libfiu_idle idle LD_PRELOAD="$libfiu" FIU_ENABLE= FIU_CTRL_FIFO="$out/fiu-cg"
else
  log "valgrind not installed: no instruction counts"
fi

log "armed and telemetry modes"
# As the in-process idle rows: the wrapped call and the direct one both on
# libc's path, so the difference is what the armed path adds.
run_bench armed bench_armed_call . FAULTLINE_DIRECT_SYSCALLS=0
log "UDP ping-pong and injected delay accuracy"
run_bench pingpong bench_pingpong .
log "command to effect"
run_bench command bench_command_latency .
log "resident memory"
run_bench memory bench_memory .
log "precise wait primitive"
run_bench precise_wait bench_precise_wait .
log "delay line delivery"
run_bench delay_line bench_delay_line BM_DelayLineDelivery

# One command from each CLI, process start included: fiu-ctrl (a shell
# script over named pipes) and faultline inject/clear.
now_ns() { date +%s%N; }
wait_for() { # PATH: up to 10 s
  local _
  for _ in $(seq 1 1000); do
    [ -e "$1" ] && return 0
    sleep 0.01
  done
  return 1
}
if [ -n "$libfiu" ] && command -v fiu-run >/dev/null && command -v fiu-ctrl >/dev/null; then
  log "fiu-ctrl command round trip"
  fiu-run -x -f "$out/fiu-ctl" sleep 300 &
  fiu_pid=$!
  cleanup_pids+=("$fiu_pid")
  if wait_for "$out/fiu-ctl-$fiu_pid.out"; then
    times=()
    for i in $(seq 1 20); do
      verb=enable
      [ $((i % 2)) = 1 ] || verb=disable
      t0=$(now_ns)
      fiu-ctrl -f "$out/fiu-ctl" -c "$verb name=posix/io/net/send" "$fiu_pid" >/dev/null
      times+=("$((($(now_ns) - t0) / 1000))")
    done
    echo "fiu_ctrl_cli_us ${times[*]}" >>"$values"
  fi
fi
cli=$build/bin/faultline
if [ -x "$cli" ]; then
  log "faultline CLI command round trip"
  LD_PRELOAD="$preload" sleep 300 &
  target=$!
  cleanup_pids+=("$target")
  if wait_for "/dev/shm/faultline.$target"; then
    times=()
    for i in $(seq 1 10); do
      t0=$(now_ns)
      "$cli" inject -p "$target" latency --delay 1ms --dst 127.0.0.1:9 --for 60s --id bench-cli >/dev/null 2>&1 ||
        break
      t1=$(now_ns)
      "$cli" clear -p "$target" --id bench-cli >/dev/null 2>&1 || break
      times+=("$(((t1 - t0) / 1000))" "$((($(now_ns) - t1) / 1000))")
    done
    [ ${#times[@]} -eq 0 ] || echo "faultline_cli_us ${times[*]}" >>"$values"
  fi
fi

# libpq, idle: pgbench's read-only SELECT loop against a throwaway cluster,
# with and without the preload, rounds alternating. Server and client share
# CPU 0 so that every round sees the same placement.
pg_bindir=${FAULTLINE_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ -x "$pg_bindir/pgbench" ] && [ -x "$pg_bindir/postgres" ]; then
  log "libpq: pgbench -S with and without the preload"
  pg_dir=$(mktemp -d /tmp/faultline-bench-pg.XXXXXX)
  rmdir "$pg_dir"
  dsn=$("$root/scripts/pg-temp.sh" start "$pg_dir" | sed -n 's/^DSN=//p')
  taskset -a -p -c 0 "$(head -n 1 "$pg_dir/data/postmaster.pid")" >/dev/null
  "$pg_bindir/pgbench" -i -s 1 -q "$dsn" >"$out/pgbench-init.log" 2>&1
  tps() {
    env "$@" taskset -c 0 "$pg_bindir/pgbench" -n -S -c 1 -j 1 -T 1 "$dsn" 2>>"$out/pgbench.log" |
      sed -n 's/^tps = \([0-9.]*\).*/\1/p'
  }
  # "control" is a second run without the preload: its ratio to "none"
  # shows the noise floor. Each round starts with the next of the three.
  none=() control=() ours=()
  for round in $(seq 1 12); do
    for i in 0 1 2; do
      case $(((round + i) % 3)) in
        0) none+=("$(tps)") ;;
        1) control+=("$(tps)") ;;
        2) ours+=("$(tps LD_PRELOAD="$preload")") ;;
      esac
    done
  done
  {
    echo "pgbench_tps_none ${none[*]}"
    echo "pgbench_tps_control ${control[*]}"
    echo "pgbench_tps_faultline ${ours[*]}"
  } >>"$values"
  "$root/scripts/pg-temp.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  pg_dir=""
else
  log "PostgreSQL server binaries or pgbench not found: no libpq row"
fi

echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$values"
python3 "$root/benchmarks/compare_table.py" "$out" "$bin/latest.md"
