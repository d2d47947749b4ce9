#!/usr/bin/env bash
# Starts the demo trading stack under the faultline preload, waits until it is
# healthy, and stops all of it (the database too) on exit, Ctrl-C or SIGTERM.
#
#   tools/demo/stack.sh BUILD_DIR OUT_DIR                  run until SIGINT/SIGTERM, then exit 0
#   tools/demo/stack.sh BUILD_DIR OUT_DIR -- CMD [ARGS]   run CMD against the stack, then stop it;
#                                                          exits with CMD's status
# A start that fails exits 1 after cleaning up, with the failing service's log
# lines on stderr.
#
# Settings (environment): FAULTLINE_DEMO_PORT_BASE (8000), FAULTLINE_DEMO_REPLICAS
# (3), FAULTLINE_DEMO_FEED_RATE (2000 quotes/s), FAULTLINE_DEMO_PG_PARENT (/tmp:
# where the temporary database folder is made; short, reachable by all).
#
# What runs (ports from FAULTLINE_DEMO_PORT_BASE):
#
#   postgres        scripts/pg-temp.sh in a temporary folder, + schema.sql
#   exchange_feed   app=exchange-feed    quotes over UDP to market_data  (udp base+100)
#   market_data     app=market-data      GET /api/market-data/latest     (http base)
#   supervisor      (not preloaded)      keeps FAULTLINE_DEMO_REPLICAS (3) order services up
#   order_service   app=order-service,replica=i                          (http base+81+i)
#   order_gateway   app=order-gateway    POST /api/orders, /api/health   (http base+80)
#
# Every service but the supervisor runs under the preload: through
# `faultline launch -l app=...` when BUILD_DIR/bin/faultline exists, else with
# LD_PRELOAD and FAULTLINE_LABELS set directly (the same effect).
#
# OUT_DIR receives logs/<service>.log and, once everything is healthy,
# stack.env: the endpoints, DSNs and pids as FAULTLINE_DEMO_*='...' lines,
# which are also in CMD's environment. A line "stack: ready" goes to stdout then.
set -euo pipefail

usage() {
  echo "usage: stack.sh BUILD_DIR OUT_DIR [-- COMMAND ARGS...]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
build_dir=$(cd "$1" && pwd) || usage
out_dir=$2
shift 2
command=()
if [ $# -gt 0 ]; then
  [ "$1" = "--" ] || usage
  shift
  [ $# -gt 0 ] || usage
  command=("$@")
fi

demo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$demo_dir/../.." && pwd)
bin=$build_dir/bin
port_base=${FAULTLINE_DEMO_PORT_BASE:-8000}
replicas=${FAULTLINE_DEMO_REPLICAS:-3}
md_port=$port_base
gateway_port=$((port_base + 80))
replica_base_port=$((port_base + 81))
feed_port=$((port_base + 100))
feed_rate=${FAULTLINE_DEMO_FEED_RATE:-2000}

log() { echo "stack: $*" >&2; }
die() {
  log "$*"
  exit 1
}

for program in exchange_feed market_data order_service order_gateway supervisor; do
  [ -x "$bin/$program" ] ||
    die "$bin/$program is missing: build it with cmake --build $build_dir --target faultline_demo"
done

mkdir -p "$out_dir/logs"
out_dir=$(cd "$out_dir" && pwd)
rm -f "$out_dir/stack.env"

# ---- cleanup: every process we started, then the database ------------------
pids=()
names=()
pg_dir=""
cleaning=0

# A process that still runs (a zombie waiting for its parent does not).
running() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# TERM to every process we started, to their children (bash may run a
# background command in a subshell that forks it instead of exec-ing it) and
# to a child started as the signal came, KILL to whatever is left after 10 s.
stop_processes() {
  local i pid child deadline
  local targets=() labels=()
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    for child in $(pgrep -P "${pids[i]}" 2>/dev/null || true); do
      targets+=("$child")
      labels+=("${names[i]}'s child")
    done
    targets+=("${pids[i]}")
    labels+=("${names[i]}")
  done
  # A service started just as a signal came: forked, not yet in pids.
  for child in $(pgrep -P $$ 2>/dev/null || true); do
    [[ " ${targets[*]} " == *" $child "* ]] && continue
    targets+=("$child")
    labels+=("a service being started")
  done
  for pid in "${targets[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  for i in "${!targets[@]}"; do
    pid=${targets[i]}
    while running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    if running "$pid"; then
      log "${labels[i]} (pid $pid) did not stop on SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  names=()
}

cleanup() {
  local status=$?
  [ $cleaning -eq 0 ] || return
  cleaning=1
  trap '' INT TERM
  stop_processes
  if [ -n "$pg_dir" ]; then
    "$source_dir/scripts/pg-temp.sh" stop "$pg_dir" || log "could not stop the database in $pg_dir"
  fi
  rm -f "$out_dir/stack.env"
  log "stopped"
  exit "$status"
}
# Interrupted while serving until interrupted is a normal stop (exit 0);
# interrupted while running a command is reported as such (130, 143).
interrupted_status_int=130
interrupted_status_term=143
trap cleanup EXIT
trap 'exit $interrupted_status_int' INT
trap 'exit $interrupted_status_term' TERM

# ---- launching --------------------------------------------------------------
# use_preload LABELS: sets `prefix` to what runs a program under the preload
# with LABELS (comma-separated KEY=VAL).
use_preload() {
  local labels=$1 label
  if [ -x "$bin/faultline" ]; then
    prefix=("$bin/faultline" launch)
    IFS=, read -ra label_list <<<"$labels"
    for label in "${label_list[@]}"; do prefix+=(-l "$label"); done
    prefix+=(--)
  else
    local preload
    preload=$(preload_path) || die "libfaultline.so not found in $build_dir: build the faultline_preload target"
    prefix=(env "LD_PRELOAD=$preload" "FAULTLINE_LABELS=$labels")
  fi
}

preload_path() {
  local candidate
  for candidate in "$build_dir/lib/libfaultline.so" "$build_dir/preload/libfaultline.so"; do
    [ -f "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

# start NAME COMMAND...: in the background, output in logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$out_dir/logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME URL [SECONDS]: until URL answers 2xx, or fail with NAME's log.
wait_for() {
  local name=$1 url=$2 limit=${3:-30}
  local deadline=$((SECONDS + limit))
  until curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name did not become healthy within ${limit}s ($url); last lines of its log:"
      tail -n 5 "$out_dir/logs/$name.log" >&2 || true
      exit 1
    fi
    check_alive
    sleep 0.1
  done
}

check_alive() {
  local i
  for i in "${!pids[@]}"; do
    kill -0 "${pids[i]}" 2>/dev/null && continue
    log "${names[i]} exited during start-up; last lines of its log:"
    tail -n 5 "$out_dir/logs/${names[i]}.log" >&2 || true
    exit 1
  done
}

for port in "$md_port" "$gateway_port" $(seq "$replica_base_port" $((replica_base_port + replicas - 1))); do
  port_free "$port" || die "port $port is in use (set FAULTLINE_DEMO_PORT_BASE to move the stack)"
done

# ---- the database -----------------------------------------------------------
pg_dir=$(mktemp -d "${FAULTLINE_DEMO_PG_PARENT:-/tmp}/faultline-demo-pg.XXXXXX")
pg_output=$("$source_dir/scripts/pg-temp.sh" start "$pg_dir") || die "the database did not start"
dsn=${pg_output#DSN=}
admin_dsn=${dsn/dbname=trading/dbname=postgres}
psql_bin=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$dsn" -f "$demo_dir/schema.sql" >"$out_dir/logs/schema.log" 2>&1 ||
  die "cannot apply schema.sql: $(tail -n 1 "$out_dir/logs/schema.log")"
log "database up: $dsn"

# ---- the services -----------------------------------------------------------
use_preload app=market-data
start market_data "${prefix[@]}" "$bin/market_data" --feed "127.0.0.1:$feed_port" --http "127.0.0.1:$md_port"

use_preload app=exchange-feed
start exchange_feed "${prefix[@]}" "$bin/exchange_feed" --target "127.0.0.1:$feed_port" --rate "$feed_rate"

use_preload "app=order-service,replica={replica}"
start supervisor "$bin/supervisor" --replicas "$replicas" --base-port "$replica_base_port" -- \
  "${prefix[@]}" "$bin/order_service" --http "127.0.0.1:{port}" --replica "{replica}" --dsn "$dsn"

replica_list=""
for ((i = 0; i < replicas; i++)); do
  replica_list+="${replica_list:+,}127.0.0.1:$((replica_base_port + i))"
done
use_preload app=order-gateway
start order_gateway "${prefix[@]}" "$bin/order_gateway" --http "127.0.0.1:$gateway_port" --replicas "$replica_list"

wait_for market_data "http://127.0.0.1:$md_port/api/market-data/latest"
for ((i = 0; i < replicas; i++)); do
  wait_for supervisor "http://127.0.0.1:$((replica_base_port + i))/api/health"
done
wait_for order_gateway "http://127.0.0.1:$gateway_port/api/health"

export FAULTLINE_DEMO_BIN=$bin
export FAULTLINE_DEMO_OUT=$out_dir
export FAULTLINE_DEMO_MARKET_DATA_URL=http://127.0.0.1:$md_port
export FAULTLINE_DEMO_ORDERS_URL=http://127.0.0.1:$gateway_port
export FAULTLINE_DEMO_ORDERS_ADDRESS=127.0.0.1:$gateway_port
export FAULTLINE_DEMO_FEED_ADDRESS=127.0.0.1:$feed_port
export FAULTLINE_DEMO_REPLICA_PORTS
FAULTLINE_DEMO_REPLICA_PORTS=$(seq -s, "$replica_base_port" $((replica_base_port + replicas - 1)))
export FAULTLINE_DEMO_DSN=$dsn
export FAULTLINE_DEMO_ADMIN_DSN=$admin_dsn
export FAULTLINE_DEMO_PG_DIR=$pg_dir
export FAULTLINE_DEMO_PIDS="${pids[*]}"
# KEY='VALUE' lines: a shell can source the file, a program split at the
# first '=' and drop the quotes.
for variable in "${!FAULTLINE_DEMO_@}"; do
  printf "%s='%s'\n" "$variable" "${!variable}"
done >"$out_dir/stack.env.tmp"
mv "$out_dir/stack.env.tmp" "$out_dir/stack.env"
echo "stack: ready (market data http://127.0.0.1:$md_port, orders http://127.0.0.1:$gateway_port, logs in $out_dir/logs)"

if [ ${#command[@]} -eq 0 ]; then
  interrupted_status_int=0
  interrupted_status_term=0
  sleep infinity </dev/null >/dev/null 2>&1 &
  sleeper=$!
  pids+=("$sleeper")
  names+=(sleep)
  wait "$sleeper" || true
  exit 0
fi

"${command[@]}" &
command_pid=$!
pids+=("$command_pid")
names+=("${command[0]##*/}")
status=0
wait "$command_pid" || status=$?
exit "$status"
