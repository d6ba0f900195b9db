#!/usr/bin/env bash
# Each system's ingest rate over a range of client concurrencies, and its peak: the
# samples/s a system sustains on this machine is the best it does at any number of
# requests in flight, and the two systems reach theirs at different numbers.
# strata acknowledges a body once its rows are fsynced on a storage node, so a client
# with few requests in flight waits on fsyncs; VictoriaMetrics answers before its data
# is on disk. Prometheus' remote_write adds shards while it falls behind
# (queue_config.max_shards, 200 by default in 2.42), so a client that needs the rate
# gets the concurrency that carries it.
#
#   tools/loadgen/sweep_ingest.sh [build-dir] [loadgen flags other than --concurrency...]
#
# Runs tools/loadgen/bench_ingest.sh once per system and concurrency, systems
# alternating so that both see the same moments of the machine, REPS times over.
# Prints one line per run, then for each repetition each system's peak and the
# ratio of the first system's peak to the last's, and the median of those ratios.
#   CONCURRENCY  the numbers of requests in flight (default "2 4 8 16 32 64 128")
#   SYSTEMS      as bench_ingest.sh (default "rf1 vm")
#   REPS         repetitions (default 2)
# Without loadgen flags: --series=20000 --samples-per-series=150 --seed=1.
set -uo pipefail
BUILD="${1:-build}"
shift || true
FLAGS=("$@")
[ "${#FLAGS[@]}" -eq 0 ] && FLAGS=("--series=20000" "--samples-per-series=150" "--seed=1")
CONCURRENCY="${CONCURRENCY:-2 4 8 16 32 64 128}"
SYSTEMS="${SYSTEMS:-rf1 vm}"
REPS="${REPS:-2}"
BENCH="$(dirname "$0")/bench_ingest.sh"
RESULTS="$(mktemp /tmp/strata-sweep.XXXXXX)"
trap 'rm -f "$RESULTS"' EXIT
failed=0

for rep in $(seq 1 "$REPS"); do
  for c in $CONCURRENCY; do
    for s in $SYSTEMS; do
      out=$(SYSTEMS=$s "$BENCH" "$BUILD" "${FLAGS[@]}" --concurrency="$c")
      rate=$(echo "$out" | grep -o 'samples_per_s=[0-9]*' | cut -d= -f2)
      non2xx=$(echo "$out" | grep -o 'non2xx=[0-9]*' | cut -d= -f2)
      cpu=$(echo "$out" | grep -o 'total=[0-9.]*' | cut -d= -f2)
      printf '%s rep=%s system=%s concurrency=%s samples_per_s=%s cpu_us_per_sample=%s non2xx=%s\n' \
        "$(date -u +%H:%M:%S)" "$rep" "$s" "$c" "${rate:-0}" "${cpu:-?}" "${non2xx:-?}"
      echo "$rep $s $c ${rate:-0}" >>"$RESULTS"
      [ -n "$rate" ] && [ "${non2xx:-x}" = 0 ] || failed=$((failed + 1))
    done
  done
done

echo "== peaks (samples/s at the best concurrency)"
awk -v systems="$SYSTEMS" '
  { if ($4 > best[$1, $2]) { best[$1, $2] = $4; at[$1, $2] = $3 } if ($1 > reps) reps = $1 }
  END {
    n = split(systems, sys, " ")
    for (r = 1; r <= reps; r++) {
      line = "rep=" r
      for (i = 1; i <= n; i++) line = line sprintf(" %s=%d@%s", sys[i], best[r, sys[i]], at[r, sys[i]])
      if (n > 1 && best[r, sys[n]] > 0) line = line sprintf(" ratio=%.2f", best[r, sys[1]] / best[r, sys[n]])
      print line
      if (n > 1 && best[r, sys[n]] > 0) ratios[++k] = best[r, sys[1]] / best[r, sys[n]]
    }
    if (k > 0) {  # the median of the ratios
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (ratios[j] < ratios[i]) { t = ratios[i]; ratios[i] = ratios[j]; ratios[j] = t }
      printf "median ratio of %d repetitions: %.2f\n", k, k % 2 ? ratios[(k + 1) / 2] : (ratios[k / 2] + ratios[k / 2 + 1]) / 2
    }
  }' "$RESULTS"
# A rate counts stored samples only, but a run with refused bodies is not a clean one.
[ "$failed" -eq 0 ] || echo "warning: $failed run(s) had non-2xx answers or no result line"
