#!/usr/bin/env bash
# Starts a local Strata cluster from a build directory and streams its logs with a
# prefix per service; Ctrl-C stops everything cleanly (SIGTERM, then waits). Data
# persists under DATA_DIR, so a second run finds it again.
#   tools/run_cluster.sh [build-dir] [data-dir]      (make run calls this)
# Ports: storage-1 gRPC 8400 / HTTP 8482, storage-2 gRPC 8401 / HTTP 8483,
# insert 8480, select 8481; RF=2 over the two storage nodes.
set -uo pipefail
BUILD_DIR="${1:-build-release}"
DATA_DIR="${2:-./data}"
BIN="$BUILD_DIR/bin"
mkdir -p "$DATA_DIR"

for b in strata-storage strata-insert strata-select; do
  if [[ ! -x "$BIN/$b" ]]; then
    echo "run: $BIN/$b is missing; build first (make run does)" >&2
    exit 1
  fi
done

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
taken=()
for p in 8400 8401 8482 8483 8480 8481; do
  port_taken "$p" && taken+=("$p")
done
if [[ ${#taken[@]} -gt 0 ]]; then
  echo "run: port(s) ${taken[*]} already in use (another Strata or VictoriaMetrics?); stop it first" >&2
  exit 1
fi

declare -A names  # pid -> service name
start() {  # name, binary, args...
  local name="$1" bin="$2"
  shift 2
  # $! is the service itself (not the prefixing sed), so it can be stopped by pid.
  # The prefixer ignores Ctrl-C so it outlives the service and shows its shutdown.
  "$BIN/$bin" "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  names[$!]="$name"
}

stopping=0
stop_all() {
  [[ $stopping -eq 1 ]] && return
  stopping=1
  echo "run: stopping"
  # Front ends first, so nothing writes to storage nodes that are shutting down.
  local order=()
  for pid in "${!names[@]}"; do [[ "${names[$pid]}" != storage-* ]] && order+=("$pid"); done
  for pid in "${!names[@]}"; do [[ "${names[$pid]}" == storage-* ]] && order+=("$pid"); done
  for pid in "${order[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run: ${names[$pid]} did not stop within 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  sleep 0.2  # let the log prefixers drain
  echo "run: stopped (data kept in $DATA_DIR)"
}
trap 'stop_all; exit 0' INT TERM

nodes="127.0.0.1:8400,127.0.0.1:8401"
start storage-1 strata-storage --data-dir="$DATA_DIR/storage-1" --grpc-listen=:8400 --http-listen=:8482
start storage-2 strata-storage --data-dir="$DATA_DIR/storage-2" --grpc-listen=:8401 --http-listen=:8483
start insert strata-insert --storage-nodes="$nodes" --replication-factor=2 --http-listen=:8480
start select strata-select --storage-nodes="$nodes" --replication-factor=2 --http-listen=:8481

wait_ready() {  # port, name; a storage node replaying a large WAL may take a while
  for _ in $(seq 1 1200); do
    curl -fs "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "run: $2 (port $1) did not become ready within 120 s" >&2
  return 1
}
ok=1
wait_ready 8482 storage-1 && wait_ready 8483 storage-2 && wait_ready 8480 insert && wait_ready 8481 select || ok=0
if [[ $ok -eq 0 ]]; then
  stop_all
  exit 1
fi

cat <<MSG
==================================================================
Strata is running (data in $DATA_DIR). Ctrl-C stops it.
  remote_write URL:         http://127.0.0.1:8480/api/v1/write
  Grafana data source URL:  http://127.0.0.1:8481   (type: Prometheus)
  query page:               http://127.0.0.1:8481/
  first query:              curl 'http://127.0.0.1:8481/api/v1/query?query=up'
  metrics:                  http://127.0.0.1:{8482,8483,8480,8481}/metrics
  storage nodes (gRPC):     127.0.0.1:8400, 127.0.0.1:8401
==================================================================
MSG

# Until Ctrl-C, or until a service exits on its own (then stop the rest).
while true; do
  wait -n -p done_pid "${!names[@]}"
  rc=$?
  [[ $stopping -eq 1 ]] && break
  if [[ -n "${done_pid:-}" && -n "${names[$done_pid]:-}" ]]; then
    echo "run: ${names[$done_pid]} exited with status $rc; stopping the others" >&2
    unset "names[$done_pid]"
    stop_all
    exit 1
  fi
done
