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
set -uo pipefail
USAGE="usage: ab_ingest.sh BUILD_A BUILD_B [ROUNDS] [loadgen flags...]"
A="${1:?$USAGE}"
B="${2:?$USAGE}"
ROUNDS="${3:-3}"
shift $(($# < 3 ? $# : 3))
FLAGS=("$@")
[ "${#FLAGS[@]}" -eq 0 ] && FLAGS=("--series=20000" "--samples-per-series=150" "--concurrency=8" "--seed=2")
WORK="$(mktemp -d /tmp/strata-ab-ingest.XXXXXX)"
# shellcheck source=tools/loadgen/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

run() {  # label build-dir
  BIN="$2/bin"
  rm -rf "${WORK:?}/$1"
  start_strata "$WORK/$1" 1 || return 1
  "$BIN/strata-loadgen" --url="$STRATA_URL" --series=20000 --samples-per-series=30 --concurrency=8 --seed=1 >/dev/null
  echo "== $1 ($2)"
  load_and_measure "$STRATA_URL" insert="$INSERT_PID" storage="$STORAGE_PIDS"
  # After 11 s idle: jemalloc returns freed pages within its 10 s decay, so this is
  # what the nodes hold, not what they dropped during the load.
  sleep 11
  local p rss="storage_rss_mb"
  for p in $STORAGE_PIDS; do rss+=" $(awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$p/status")"; done
  echo "$rss"
  cleanup
}

for _ in $(seq 1 "$ROUNDS"); do
  run A "$A"
  run B "$B"
done
