#!/usr/bin/env bash
# Starts a local Strata cluster from a build directory and streams its logs with a
# prefix per service; Ctrl-C stops everything cleanly. Data persists under DATA_DIR.
#   tools/run_cluster.sh [build-dir] [data-dir]
# Ports: storage-1 gRPC 8400 / HTTP 8482, storage-2 gRPC 8401 / HTTP 8483;
# insert 8480 and select 8481 once those services exist.
set -uo pipefail
BUILD_DIR="${1:-build-release}"
DATA_DIR="${2:-./data}"
BIN="$BUILD_DIR/bin"
mkdir -p "$DATA_DIR"

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 8400 8401 8482 8483 8480 8481; do
  if port_taken "$p"; then
    echo "run: port $p is already in use (another Strata or VictoriaMetrics?); stop it first" >&2
    exit 1
  fi
done

pids=()
start() {  # name, binary, args...
  local name="$1" bin="$2"
  shift 2
  "$BIN/$bin" "$@" 2>&1 | sed -u "s/^/[$name] /" &
  pids+=($!)
}
stop_all() {
  echo "run: stopping"
  pkill -TERM -P $$ 2>/dev/null
  for p in $(jobs -p); do pkill -TERM -P "$p" 2>/dev/null; done
  wait
  echo "run: stopped"
  exit 0
}
trap stop_all INT TERM

start storage-1 strata-storage --data-dir="$DATA_DIR/storage-1" --grpc-listen=:8400 --http-listen=:8482
start storage-2 strata-storage --data-dir="$DATA_DIR/storage-2" --grpc-listen=:8401 --http-listen=:8483
nodes="127.0.0.1:8400,127.0.0.1:8401"
if [[ -x "$BIN/strata-insert" ]]; then
  start insert strata-insert --storage-nodes="$nodes" --replication-factor=2 --http-listen=:8480
fi
if [[ -x "$BIN/strata-select" ]]; then
  start select strata-select --storage-nodes="$nodes" --replication-factor=2 --http-listen=:8481
fi

wait_ready() {
  for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "run: service on port $1 did not become ready" >&2
  return 1
}
for p in 8482 8483; do wait_ready "$p"; done
[[ -x "$BIN/strata-insert" ]] && wait_ready 8480
[[ -x "$BIN/strata-select" ]] && wait_ready 8481

cat <<MSG
==================================================================
Strata is running (data in $DATA_DIR). Ctrl-C stops it.
  storage nodes (gRPC):     127.0.0.1:8400, 127.0.0.1:8401
  storage admin / metrics:  http://127.0.0.1:8482/metrics, http://127.0.0.1:8483/metrics
MSG
if [[ -x "$BIN/strata-insert" ]]; then
  echo "  remote_write URL:         http://127.0.0.1:8480/api/v1/write"
fi
if [[ -x "$BIN/strata-select" ]]; then
  echo "  Grafana data source URL:  http://127.0.0.1:8481"
  echo "  query page:               http://127.0.0.1:8481/"
fi
echo "=================================================================="
wait
