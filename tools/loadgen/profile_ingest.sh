#!/usr/bin/env bash
# Where the machine's CPU goes during a steady ingest load: starts 1 strata-insert + 2
# strata-storage (RF=1), creates the series, then runs `perf record -a -g` over
# PERF_SECONDS of a measured load (after strata-loadgen has built its bodies), and
# prints each process's share of both vCPUs (insert, storage, the rest, idle).
#
#   tools/loadgen/profile_ingest.sh [build-dir] [out-dir] [concurrency]
#
# out-dir (default /tmp/strata-profile) keeps perf.data and pids (insert=PID
# storage="PID PID") for `perf report -i OUT/perf.data --pid PID ...`.
# SAMPLES_PER_SERIES (default 600) sets the load's length, PERF_SECONDS (default 6)
# the recording's; INSERT_FLAGS / STORAGE_FLAGS as in bench_lib.sh.
set -uo pipefail
BIN="${1:-build}/bin"
OUT="${2:-/tmp/strata-profile}"
CONCURRENCY="${3:-8}"
# shellcheck source=tools/loadgen/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
trap cleanup EXIT
command -v perf >/dev/null || { echo "profile_ingest: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
mkdir -p "$OUT"
rm -rf "${OUT:?}/data" "$OUT/started"
start_strata "$OUT/data" 1 || exit 1
"$BIN/strata-loadgen" --url="$STRATA_URL" --series=20000 --samples-per-series=5 --concurrency=8 --seed=1 >/dev/null
echo "insert=$INSERT_PID storage=\"$STORAGE_PIDS\"" >"$OUT/pids"
"$BIN/strata-loadgen" --url="$STRATA_URL" --series=20000 --samples-per-series="${SAMPLES_PER_SERIES:-600}" \
  --concurrency="$CONCURRENCY" --seed=2 --start-file="$OUT/started" >"$OUT/loadgen.out" &
loadgen=$!
until [ -e "$OUT/started" ] || ! kill -0 "$loadgen" 2>/dev/null; do sleep 0.2; done
sleep 1
perf record -a -g -F 2000 -o "$OUT/perf.data" -- sleep "${PERF_SECONDS:-6}" >/dev/null 2>&1
wait "$loadgen"
tail -1 "$OUT/loadgen.out"
perf script -i "$OUT/perf.data" -F pid 2>/dev/null | awk -v ins="$INSERT_PID" -v st="$STORAGE_PIDS" '
  BEGIN { split(st, s, " ") }
  { n++; if ($1 == ins) c["insert"]++; else if ($1 == s[1] || $1 == s[2]) c["storage"]++;
    else if ($1 == 0) c["idle"]++; else c["other"]++ }
  END { if (n == 0) { print "profile_ingest: perf recorded nothing"; exit 1 }
        printf "share of both vCPUs: insert %.1f%%, storage %.1f%%, other %.1f%%, idle %.1f%%\n",
        100 * c["insert"] / n, 100 * c["storage"] / n, 100 * c["other"] / n, 100 * c["idle"] / n }'
