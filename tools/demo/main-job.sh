#!/usr/bin/env bash
# The main job's trading-stack part (scripts/demo.sh runs it): builds the
# demo in BUILD_DIR, starts PostgreSQL in a temporary folder and the stack
# under the preload (stack.sh), runs the seed's three experiments and the
# three variants that must deviate (run-experiments.sh), prints their
# results, and stops everything, also when interrupted.
#
#   tools/demo/main-job.sh BUILD_DIR [--full] [EXPERIMENT...]
#
# Journals, JUnit files, SVG timelines, summaries and service logs go to
# FAULTLINE_DEMO_RESULTS (default BUILD_DIR/demo-results/<UTC time>).
# --full: the seed's experiment durations (several minutes) instead of the
# demo's. Exit 0 when every experiment ended as the stack's design implies.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: main-job.sh BUILD_DIR [--full] [EXPERIMENT...]" >&2; exit 2; }
build_dir=$1
shift
demo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

echo "==> building the demo stack and the experiment runner"
cmake --build "$build_dir" -j 2 --target faultline_demo faultline >/dev/null

results=${FAULTLINE_DEMO_RESULTS:-$build_dir/demo-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
results=$(cd "$results" && pwd)
echo "==> starting the stack (PostgreSQL, exchange feed, market data, 3 order services, gateway); results in $results"
exec "$demo_dir/stack.sh" "$build_dir" "$results" -- "$demo_dir/run-experiments.sh" "$results" "$@"
