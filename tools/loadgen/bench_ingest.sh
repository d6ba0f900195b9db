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

cpu_seconds() {  # pid...: user + system CPU seconds, summed
  local total=0 p
  for p in "$@"; do
    total=$(awk -v t="$total" '{printf "%.2f", t + ($14 + $15) / 100}' "/proc/$p/stat")
  done
  echo "$total"
}

# Runs strata-loadgen against $1 and prints its last line and CPU per sample of
# the named processes (name=pid ...).
load_and_measure() {  # url name=pid...
  local url="$1" before=() after=() kv line samples
  shift
  for kv in "$@"; do before+=("$(cpu_seconds ${kv#*=})"); done
  line=$("$BIN/strata-loadgen" --url="$url" "${FLAGS[@]}" | tail -1)
  for kv in "$@"; do after+=("$(cpu_seconds ${kv#*=})"); done
  echo "$line"
  samples=$(echo "$line" | grep -o 'stored_samples=[0-9]*' | cut -d= -f2)
  [ -n "$samples" ] && [ "$samples" -gt 0 ] || return 0
  local out="cpu_us_per_sample" i=0 total=0
  for kv in "$@"; do
    local d
    d=$(awk -v a="${after[$i]}" -v b="${before[$i]}" 'BEGIN{printf "%.2f", a - b}')
    total=$(awk -v t="$total" -v d="$d" 'BEGIN{printf "%.2f", t + d}')
    out+=" ${kv%%=*}=$(awk -v d="$d" -v n="$samples" 'BEGIN{printf "%.2f", d * 1e6 / n}')"
    i=$((i + 1))
  done
  echo "$out total=$(awk -v d="$total" -v n="$samples" 'BEGIN{printf "%.2f", d * 1e6 / n}')"
}

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
    --log-level=warn ${STORAGE_FLAGS:-} >"$d/s1.log" 2>&1 &
  local s1=$!
  pids+=($!)
  "$BIN/strata-storage" --data-dir="$d/s2" --grpc-listen=127.0.0.1:18401 --http-listen=127.0.0.1:18483 \
    --log-level=warn ${STORAGE_FLAGS:-} >"$d/s2.log" 2>&1 &
  local s2=$!
  pids+=($!)
  wait_ready http://127.0.0.1:18482/ready && wait_ready http://127.0.0.1:18483/ready || return 1
  "$BIN/strata-insert" --storage-nodes=127.0.0.1:18400,127.0.0.1:18401 --http-listen=127.0.0.1:18480 \
    --replication-factor="$rf" --log-level=warn ${INSERT_FLAGS:-} >"$d/insert.log" 2>&1 &
  local ins=$!
  pids+=($!)
  wait_ready http://127.0.0.1:18480/ready || return 1
  echo "== strata: 1 insert, 2 storage, RF=$rf"
  load_and_measure http://127.0.0.1:18480/api/v1/write insert=$ins storage="$s1 $s2"
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
