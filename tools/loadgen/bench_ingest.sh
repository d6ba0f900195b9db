#!/usr/bin/env bash
# Ingestion benchmark: the same seeded remote_write bodies into
#   1 strata-insert + 2 strata-storage (RF=1, then RF=2), and
#   VictoriaMetrics single-node (when /usr/bin/victoria-metrics exists),
# one after the other on this machine. Prints strata-loadgen's line for each.
#   tools/loadgen/bench_ingest.sh [build-dir] [loadgen flags...]
# INSERT_FLAGS adds strata-insert flags (e.g. INSERT_FLAGS=--storage-compression=false).
# Without loadgen flags: --series=20000 --samples-per-series=10 --concurrency=4 --seed=1.
set -uo pipefail
BUILD_DIR="${1:-build}"
shift || true
BIN="$BUILD_DIR/bin"
FLAGS=("$@")
[ "${#FLAGS[@]}" -eq 0 ] && FLAGS=("--series=20000" "--samples-per-series=10" "--concurrency=4" "--seed=1")
WORK="$(mktemp -d /tmp/strata-bench-ingest.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT

wait_ready() {  # url
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: $1 never became ready" >&2
  return 1
}

run_strata() {  # rf
  local rf="$1" d="$WORK/strata-rf$1"
  mkdir -p "$d"
  "$BIN/strata-storage" --data-dir="$d/s1" --grpc-listen=127.0.0.1:18400 --http-listen=127.0.0.1:18482 \
    --log-level=warn >"$d/s1.log" 2>&1 &
  pids+=($!)
  "$BIN/strata-storage" --data-dir="$d/s2" --grpc-listen=127.0.0.1:18401 --http-listen=127.0.0.1:18483 \
    --log-level=warn >"$d/s2.log" 2>&1 &
  pids+=($!)
  wait_ready http://127.0.0.1:18482/ready && wait_ready http://127.0.0.1:18483/ready || return 1
  "$BIN/strata-insert" --storage-nodes=127.0.0.1:18400,127.0.0.1:18401 --http-listen=127.0.0.1:18480 \
    --replication-factor="$rf" --log-level=warn ${INSERT_FLAGS:-} >"$d/insert.log" 2>&1 &
  pids+=($!)
  wait_ready http://127.0.0.1:18480/ready || return 1
  echo "== strata: 1 insert, 2 storage, RF=$rf"
  "$BIN/strata-loadgen" --url=http://127.0.0.1:18480/api/v1/write "${FLAGS[@]}" | tail -1
  cleanup
}

run_vm() {
  [ -x /usr/bin/victoria-metrics ] || { echo "== victoria-metrics: not installed, skipped"; return 0; }
  /usr/bin/victoria-metrics -storageDataPath="$WORK/vm" -httpListenAddr=127.0.0.1:18428 \
    -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
  pids+=($!)
  wait_ready http://127.0.0.1:18428/health || return 1
  echo "== victoria-metrics single-node (/usr/bin/victoria-metrics)"
  "$BIN/strata-loadgen" --url=http://127.0.0.1:18428/api/v1/write "${FLAGS[@]}" | tail -1
  cleanup
}

run_strata 1
run_strata 2
run_vm
