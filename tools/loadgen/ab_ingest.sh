#!/usr/bin/env bash
# A/B ingest comparison of two builds on this (noisy) machine: alternates them on
# fresh clusters (1 strata-insert + 2 strata-storage, RF=1), so that both see the
# same moments of the machine, and prints CPU per stored sample for each run.
#
#   tools/loadgen/ab_ingest.sh BUILD_A BUILD_B [ROUNDS] [loadgen flags...]
#
# BUILD_x is a build directory (its bin/ holds strata-storage, strata-insert,
# strata-loadgen; a directory of symlinks swaps one binary). Each run first creates
# the series (--samples-per-series=30, seed 1, not measured), then measures one
# steady-state load: by default --series=20000 --samples-per-series=150
# --concurrency=8 --seed=2. INSERT_FLAGS / STORAGE_FLAGS add flags to both builds.
# CPU is user + system time from /proc/<pid>/stat, per process.
set -uo pipefail
A="${1:?usage: ab_ingest.sh BUILD_A BUILD_B [ROUNDS] [loadgen flags...]}"
B="${2:?usage: ab_ingest.sh BUILD_A BUILD_B [ROUNDS] [loadgen flags...]}"
ROUNDS="${3:-3}"
shift $(($# < 3 ? $# : 3))
FLAGS=("$@")
[ "${#FLAGS[@]}" -eq 0 ] && FLAGS=("--series=20000" "--samples-per-series=150" "--concurrency=8" "--seed=2")
WORK="$(mktemp -d /tmp/strata-ab-ingest.XXXXXX)"
pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
}
trap 'stop; rm -rf "$WORK"' EXIT

cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
ready() {
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "ab_ingest: $1 never became ready" >&2
  return 1
}

run() {  # label build-dir
  local label="$1" bin="$2/bin" d="$WORK/$1"
  rm -rf "$d" && mkdir -p "$d"
  "$bin/strata-storage" --data-dir="$d/s1" --grpc-listen=127.0.0.1:18410 --http-listen=127.0.0.1:18492 \
    --log-level=warn ${STORAGE_FLAGS:-} >"$d/s1.log" 2>&1 &
  local s1=$!
  pids+=($!)
  "$bin/strata-storage" --data-dir="$d/s2" --grpc-listen=127.0.0.1:18411 --http-listen=127.0.0.1:18493 \
    --log-level=warn ${STORAGE_FLAGS:-} >"$d/s2.log" 2>&1 &
  local s2=$!
  pids+=($!)
  ready http://127.0.0.1:18492/ready && ready http://127.0.0.1:18493/ready || return 1
  "$bin/strata-insert" --storage-nodes=127.0.0.1:18410,127.0.0.1:18411 --http-listen=127.0.0.1:18490 \
    --log-level=warn ${INSERT_FLAGS:-} >"$d/insert.log" 2>&1 &
  local ins=$!
  pids+=($!)
  ready http://127.0.0.1:18490/ready || return 1
  local url=http://127.0.0.1:18490/api/v1/write
  "$bin/strata-loadgen" --url="$url" --series=20000 --samples-per-series=30 --concurrency=8 --seed=1 >/dev/null
  local i0 s0 i1 s1_ line n
  i0=$(cpu $ins)
  s0=$(awk -v a="$(cpu $s1)" -v b="$(cpu $s2)" 'BEGIN{print a + b}')
  line=$("$bin/strata-loadgen" --url="$url" "${FLAGS[@]}" | tail -1)
  i1=$(cpu $ins)
  s1_=$(awk -v a="$(cpu $s1)" -v b="$(cpu $s2)" 'BEGIN{print a + b}')
  n=$(echo "$line" | grep -o 'stored_samples=[0-9]*' | cut -d= -f2)
  local di ds
  di=$(awk -v a="$i1" -v b="$i0" 'BEGIN{print a - b}')
  ds=$(awk -v a="$s1_" -v b="$s0" 'BEGIN{print a - b}')
  echo "$label: $(echo "$line" | grep -o 'samples_per_s=[0-9]* p50_ms=[0-9.]*')" \
    "$(awk -v di="$di" -v ds="$ds" -v n="${n:-0}" 'BEGIN{if (n > 0) printf "cpu_us_per_sample insert=%.2f storage=%.2f total=%.2f", di*1e6/n, ds*1e6/n, (di+ds)*1e6/n}')"
  stop
}

for r in $(seq 1 "$ROUNDS"); do
  run A "$A"
  run B "$B"
done
