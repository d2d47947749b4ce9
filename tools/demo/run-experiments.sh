#!/usr/bin/env bash
# Runs the seed's three experiments and the three variants that must deviate
# against a running demo stack (stack.sh's environment: FAULTLINE_DEMO_*),
# writes each one's journal, JUnit file and SVG timeline to OUT_DIR, and
# prints a table of the results. Exit 0 when every experiment ended as the
# stack's design implies (the seed's hold, the variants deviate), else 1.
#
#   run-experiments.sh OUT_DIR [--full] [--var KEY=VALUE]... [NAME...]
#
# --full runs the seed's experiments with the seed's durations (minutes)
# instead of the demo's; --var overrides a configuration value of every
# experiment run (shorter runs in tests); NAMEs pick experiments (default:
# all six).
set -euo pipefail

demo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out_dir=${1:?usage: run-experiments.sh OUT_DIR [--full] [--var KEY=VALUE]... [NAME...]}
shift
full=0
names=()
overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --var)
      [ $# -ge 2 ] || { echo "run-experiments: --var needs KEY=VALUE" >&2; exit 2; }
      overrides+=(--var "$2")
      shift
      ;;
    *) names+=("$1") ;;
  esac
  shift
done

# name, the result the stack's design implies, the seed's durations
plan=(
  "market-data-latency held --var duration=60s"
  "order-service-kill held --var kill_every=30s --var duration=120s"
  "database-terminate held --var duration=30s"
  "market-data-blackhole deviated"
  "order-service-kill-all deviated"
  "database-lock deviated"
)

bin=${FAULTLINE_DEMO_BIN:?run inside tools/demo/stack.sh (FAULTLINE_DEMO_BIN is not set)}
export FAULTLINE_CLI=$bin/faultline
if ! "$bin/faultline" run --help >/dev/null 2>&1; then
  echo "run-experiments: $bin/faultline has no 'run' command: build the faultline target" >&2
  exit 2
fi
runner=("$bin/faultline" run)

# Between experiments: the stack is back to its steady state (replicas may
# still be in their restart backoff after the previous one).
wait_steady() {
  local deadline=$((SECONDS + 30))
  until curl -fsS --max-time 2 -o /dev/null -d "" "$FAULTLINE_DEMO_ORDERS_URL/api/health" &&
    curl -fsS --max-time 2 -o /dev/null "$FAULTLINE_DEMO_MARKET_DATA_URL/api/market-data/latest"; do
    [ $SECONDS -lt $deadline ] || { echo "run-experiments: the stack did not return to its steady state" >&2; return 1; }
    sleep 0.2
  done
}

mkdir -p "$out_dir"
ran=()
for entry in "${plan[@]}"; do
  read -r name expected seed_vars <<<"$entry"
  if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then continue; fi
  vars=()
  [ $full -eq 1 ] && [ -n "$seed_vars" ] && read -ra vars <<<"$seed_vars"
  wait_steady
  echo
  echo "==> $name (the stack's design implies: hypothesis $expected)"
  status=0
  "${runner[@]}" "$demo_dir/experiments/$name.json" "${vars[@]}" "${overrides[@]}" --no-progress \
    --journal "$out_dir/$name.journal.json" --junit "$out_dir/$name.junit.xml" --svg "$out_dir/$name.svg" \
    >"$out_dir/$name.summary.txt" || status=$?
  cat "$out_dir/$name.summary.txt"
  ran+=("$name:$expected:$status")
done

echo
python3 - "$out_dir" "${ran[@]}" <<'PY'
import json, os, sys

out_dir, runs = sys.argv[1], sys.argv[2:]
rows, all_as_expected = [], True
for run in runs:
    name, expected, status = run.rsplit(":", 2)
    path = os.path.join(out_dir, name + ".journal.json")
    journal = json.load(open(path)) if os.path.exists(path) else {}
    fl = journal.get("faultline", {})
    status = int(status)
    result = {0: "held", 1: "deviated"}.get(status, "could not run")
    ok = result == expected
    all_as_expected &= ok
    ttr = fl.get("time_to_recover_s")
    p99 = fl.get("p99_ms") or {}
    def ms(v):
        return "-" if v is None else "%.1f" % v
    rows.append((name, expected, result, "yes" if ok else "NO", str(fl.get("violation_count", "-")),
                 "-" if ttr is None else "%.2fs" % ttr,
                 ms(p99.get("before")) + " / " + ms(p99.get("during"))))
header = ("experiment", "expected", "result", "as expected", "violations", "time to recover",
          "P99 ms before / during")
widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
for r in [header] + rows:
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
print()
print("journals, JUnit files and SVG timelines: " + out_dir)
sys.exit(0 if all_as_expected else 1)
PY
