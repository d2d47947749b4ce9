#!/usr/bin/env bash
# The main job (README, Quick start). Installs what is missing, builds the
# release preset and runs tools/demo/main-job.sh: PostgreSQL in a temporary
# folder, the demo trading stack under the preload, the seed article's three
# experiments and their must-deviate variants, and their results.
#
#   scripts/demo.sh [--full] [EXPERIMENT...]   the trading stack (--full: the seed's durations)
#   FAULTLINE_DEMO=echo scripts/demo.sh        the core path on a UDP echo pair only: latency,
#                                              loss, clear and --for expiry, round trips measured
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
echo "==> building (release)"
cmake --preset release >/dev/null
if [ "${FAULTLINE_DEMO:-stack}" = stack ]; then
  exec tools/demo/main-job.sh "$root/build/release" "$@"
fi
cmake --build --preset release -j 2 --target faultline faultline_preload udp_echo udp_pinger >/dev/null

bin=$root/build/release/bin
helpers=$root/build/release/tests/support
faultline=$bin/faultline
work=$(mktemp -d /tmp/faultline-demo.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The server, launched by the CLI under the preload with a label.
mkfifo "$work/port"
"$faultline" launch -l app=echo --name udp-echo -- "$helpers/udp_echo" >"$work/port" &
server_pid=$!
read -r port <"$work/port"
echo "==> udp_echo (pid $server_pid) listens on 127.0.0.1:$port under libfaultline.so"
"$faultline" ps

# One measurement: 300 round trips, prints "p50_us received/sent".
ping() {
  "$helpers/udp_pinger" --port "$port" --count 300 --timeout-ms 100 --json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.1f %d/%d" % (r["p50_ns"]/1e3, r["received"], r["sent"]))' ||
    true
}

results=()
measure() {
  local label=$1
  read -r p50 got < <(ping)
  results+=("$(printf '%-44s %10s us %9s' "$label" "$p50" "$got")")
}

measure "baseline (preload idle)"
"$faultline" inject -l app=echo latency --delay 2ms --jitter 500us --correlation 75 --distribution normal --dir egress --for 60s --id demo-lat
measure "latency 2ms ±0.5ms, 75% correlated (egress)"
"$faultline" clear -l app=echo --id demo-lat
"$faultline" inject -l app=echo loss --pct 30 --proto udp --dir ingress --seed 7 --for 60s --id demo-loss
measure "loss 30% (ingress, seed 7)"
"$faultline" clear -l app=echo
measure "after clear"
"$faultline" inject -l app=echo latency --delay 5ms --for 300ms --id demo-ttl
sleep 0.5
measure "after a 5ms fault with --for 300ms expired"

echo
printf '%-44s %13s %9s\n' "phase" "p50 RTT" "received"
for r in "${results[@]}"; do echo "$r"; done
