#!/usr/bin/env bash
# Write latency at a low request rate: one remote_write body of 500 new series at a
# time through 1 strata-insert into 2 strata-storage nodes (RF=1), after pauses of
# FROM to TO ms in STEP ms steps. Prints each request's latency in ms, in order.
# A process whose threads stall after an idle moment shows it here and nowhere in
# the throughput benchmarks.
#   tools/loadgen/paced_ingest.sh [build-dir] [FROM] [TO] [STEP]   (default build 900 1120 10)
set -uo pipefail
BIN="${1:-build}/bin"
FROM="${2:-900}" TO="${3:-1120}" STEP="${4:-10}"
FLAGS=()
WORK="$(mktemp -d /tmp/strata-paced-ingest.XXXXXX)"
# shellcheck source=tools/loadgen/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

start_strata "$WORK" 1 >/dev/null || exit 1
"$BIN/strata-loadgen" --url="$STRATA_URL" --series=500 --samples-per-series=2 --concurrency=1 --seed=1 >/dev/null
out=""
for pause in $(seq "$FROM" "$STEP" "$TO"); do
  sleep "$(awk -v p="$pause" 'BEGIN{print p / 1000}')"
  line=$("$BIN/strata-loadgen" --url="$STRATA_URL" --series=500 --samples-per-series=1 --concurrency=1 \
    --seed="$pause" 2>&1 | tail -1)
  out+="$(echo "$line" | grep -o 'p50_ms=[0-9.]*' | cut -d= -f2) "
done
echo "$out"
