#!/usr/bin/env bash
# Ingestion benchmark: the same seeded remote_write bodies into
#   1 strata-insert + 2 strata-storage (RF=1, then RF=2), and
#   VictoriaMetrics single-node (when /usr/bin/victoria-metrics exists),
# one after the other on this machine. Prints strata-loadgen's line for each.
#   tools/loadgen/bench_ingest.sh [build-dir] [loadgen flags...]
# After each line it prints the CPU (user + system, from /proc/PID/stat) each server
# process spent per stored sample during the run: steadier than samples/s on a
# shared machine. SYSTEMS limits the runs (default "rf1 rf2 vm").
# INSERT_FLAGS adds strata-insert flags (e.g. INSERT_FLAGS=--storage-compression=false),
# STORAGE_FLAGS strata-storage flags (e.g. STORAGE_FLAGS=--wal-fsync=interval).
# Without loadgen flags: --series=20000 --samples-per-series=10 --concurrency=4 --seed=1.
set -uo pipefail
DEFAULT_FLAGS=("--series=20000" "--samples-per-series=10" "--concurrency=4" "--seed=1")
# shellcheck source=tools/loadgen/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_setup "$@"

run_strata() {  # rf
  start_strata "$WORK/strata-rf$1" "$1" || return 1
  echo "== strata: 1 insert, 2 storage, RF=$1"
  load_and_measure "$STRATA_URL" insert="$INSERT_PID" storage="$STORAGE_PIDS"
  cleanup
}

run_vm() {
  [ -x /usr/bin/victoria-metrics ] || { echo "== victoria-metrics: not installed, skipped"; return 0; }
  /usr/bin/victoria-metrics -storageDataPath="$WORK/vm" -httpListenAddr=127.0.0.1:18428 \
    -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
  local vm=$!
  pids+=($!)
  wait_ready http://127.0.0.1:18428/health || return 1
  echo "== victoria-metrics single-node (/usr/bin/victoria-metrics)"
  load_and_measure http://127.0.0.1:18428/api/v1/write victoria-metrics=$vm
  cleanup
}

for system in ${SYSTEMS:-rf1 rf2 vm}; do
  case "$system" in
    rf1) run_strata 1 ;;
    rf2) run_strata 2 ;;
    vm) run_vm ;;
    *) echo "bench: unknown system $system (want rf1, rf2, vm)" >&2; exit 2 ;;
  esac
done
