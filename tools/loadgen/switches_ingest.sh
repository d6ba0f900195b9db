#!/usr/bin/env bash
# Context switches and storage calls of one measured ingest load: starts 1
# strata-insert + 2 strata-storage (RF=1) from BUILD_DIR/bin, creates the series
# (not measured), then runs one load and prints, for that load, strata-loadgen's
# line, CPU per sample, the voluntary and involuntary context switches of every
# thread of insert and of the storage nodes (/proc/PID/task/*/status), and the first
# storage node's write RPCs and WAL fsyncs (its /metrics).
#   tools/loadgen/switches_ingest.sh [BUILD_DIR] [loadgen flags...]
# Default load: --series=20000 --samples-per-series=150 --concurrency=8 --seed=2.
# INSERT_FLAGS / STORAGE_FLAGS add server flags (bench_lib.sh).
set -uo pipefail
DEFAULT_FLAGS=("--series=20000" "--samples-per-series=150" "--concurrency=8" "--seed=2")
# shellcheck source=tools/loadgen/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_setup "$@"
LOAD=("${FLAGS[@]}")

switches() {  # pid...: "voluntary involuntary", summed over every thread
  local p
  for p in "$@"; do cat /proc/"$p"/task/*/status; done |
    awk '/^voluntary_ctxt_switches/{v+=$2} /^nonvoluntary_ctxt_switches/{n+=$2} END{print v+0, n+0}'
}
write_counters() {
  curl -s http://127.0.0.1:18482/metrics |
    awk '/^strata_storage_rpc_requests_total\{method="Write/ && /code="OK"/ {w+=$2} /^strata_storage_wal_fsyncs_total/ {f=$2} END{print w+0, f+0}'
}

start_strata "$WORK/strata" 1 || exit 1
FLAGS=(--series=20000 --samples-per-series=30 --concurrency=8 --seed=1)
load_and_measure "$STRATA_URL" >/dev/null
FLAGS=("${LOAD[@]}")
read -r iv0 in0 < <(switches "$INSERT_PID")
# shellcheck disable=SC2086
read -r sv0 sn0 < <(switches $STORAGE_PIDS)
read -r w0 f0 < <(write_counters)
load_and_measure "$STRATA_URL" insert="$INSERT_PID" storage="$STORAGE_PIDS"
read -r iv1 in1 < <(switches "$INSERT_PID")
# shellcheck disable=SC2086
read -r sv1 sn1 < <(switches $STORAGE_PIDS)
read -r w1 f1 < <(write_counters)
echo "switches insert=$((iv1 - iv0))+$((in1 - in0)) storage=$((sv1 - sv0))+$((sn1 - sn0)) (voluntary+involuntary)"
echo "first storage node: writes=$((w1 - w0)) wal_fsyncs=$((f1 - f0))"
