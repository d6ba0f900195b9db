# Shared by the ingest scripts of tools/loadgen (sourced): server bookkeeping, CPU
# accounting and one measured strata-loadgen run. The caller sets BIN (a build's
# bin/ directory, for strata-loadgen) and FLAGS (loadgen flags), and appends the
# PIDs of the servers it starts to `pids`; cleanup stops them.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
}

# Reads a script's "[BUILD_DIR] [loadgen flags...]": sets BIN (BUILD_DIR/bin) and
# FLAGS (DEFAULT_FLAGS when no flags are given), makes WORK, and on exit stops the
# servers and removes WORK.
bench_setup() {  # [build-dir] [flags...]
  local build_dir="${1:-build}"
  shift || true
  BIN="$build_dir/bin"
  FLAGS=("$@")
  [ "${#FLAGS[@]}" -eq 0 ] && FLAGS=("${DEFAULT_FLAGS[@]}")
  WORK="$(mktemp -d /tmp/strata-bench.XXXXXX)"
  trap 'cleanup; rm -rf "$WORK"' EXIT
}

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

# Starts 2 strata-storage nodes and 1 strata-insert from $BIN with their data under
# $1, replication factor $2, STORAGE_FLAGS and INSERT_FLAGS. Sets INSERT_PID,
# STORAGE_PIDS ("pid pid") and STRATA_URL (the remote_write endpoint).
start_strata() {  # dir rf
  local d="$1" rf="$2" i
  mkdir -p "$d"
  STORAGE_PIDS=""
  for i in 0 1; do
    "$BIN/strata-storage" --data-dir="$d/s$i" --grpc-listen=127.0.0.1:1840$i --http-listen=127.0.0.1:1848$((2 + i)) \
      --log-level=warn ${STORAGE_FLAGS:-} >"$d/s$i.log" 2>&1 &
    pids+=($!)
    STORAGE_PIDS="$STORAGE_PIDS${STORAGE_PIDS:+ }$!"
  done
  wait_ready http://127.0.0.1:18482/ready && wait_ready http://127.0.0.1:18483/ready || return 1
  "$BIN/strata-insert" --storage-nodes=127.0.0.1:18400,127.0.0.1:18401 --http-listen=127.0.0.1:18480 \
    --replication-factor="$rf" --log-level=warn ${INSERT_FLAGS:-} >"$d/insert.log" 2>&1 &
  INSERT_PID=$!
  pids+=($!)
  STRATA_URL=http://127.0.0.1:18480/api/v1/write
  wait_ready http://127.0.0.1:18480/ready
}
