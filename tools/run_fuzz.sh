#!/usr/bin/env bash
# Runs every libFuzzer target (libs/ingest/fuzz: one per ingest parser;
# libs/encoding/fuzz/block_fuzz, libs/rpc/fuzz/write_wire_fuzz and search_wire_fuzz) built with clang in its
# own build directory.
#   tools/run_fuzz.sh short [build-dir]   bounded run per target (make test)
#   tools/run_fuzz.sh long  [build-dir]   10 minutes per target (make fuzz-long)
# FUZZ_RUNS / FUZZ_SHORT_SECONDS / FUZZ_SEED (short: 300000 executions, at most 15 s per
# target, libFuzzer seed 1 so the run is repeatable)
# and FUZZ_SECONDS (long, default 600)
# override the bounds. Without clang++ and libFuzzer it prints a SKIPPED line and
# exits 0. Crashes are kept in <build-dir>/fuzz-artifacts/<target>/ and fail the run:
# turn each into a regression test (docs/format/ingest.md, "Fuzzing").
set -uo pipefail
MODE="${1:-short}"
BUILD_DIR="${2:-build-fuzz}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
INGEST_TARGETS=(remote_write json_lines csv prom_text influx opentsdb_http opentsdb_telnet graphite)

CXX_BIN="$(command -v clang++ || command -v clang++-14 || true)"
C_BIN="$(command -v clang || command -v clang-14 || true)"
if [ -z "$CXX_BIN" ] || [ -z "$C_BIN" ]; then
  echo "fuzz: SKIPPED: clang++ not found (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
probe="$(mktemp -d)"
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$probe/p.cc"
if ! "$CXX_BIN" -fsanitize=fuzzer "$probe/p.cc" -o "$probe/p" 2>/dev/null; then
  rm -rf "$probe"
  echo "fuzz: SKIPPED: $CXX_BIN cannot link libFuzzer (apt-get install libclang-rt-14-dev)"
  exit 0
fi
rm -rf "$probe"

case "$MODE" in
  short) BOUND=("-runs=${FUZZ_RUNS:-300000}" "-max_total_time=${FUZZ_SHORT_SECONDS:-15}" "-seed=${FUZZ_SEED:-1}") ;;
  long) BOUND=("-max_total_time=${FUZZ_SECONDS:-600}") ;;
  *) echo "usage: $0 short|long [build-dir]" >&2; exit 2 ;;
esac

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$C_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" >"$BUILD_DIR.configure.log" 2>&1 || {
    echo "fuzz: FAILED to configure $BUILD_DIR (see $BUILD_DIR.configure.log)"
    exit 1
  }
fi
targets=()
for t in "${INGEST_TARGETS[@]}"; do targets+=("${t}_fuzz"); done
targets+=(block_fuzz write_wire_fuzz search_wire_fuzz)
if ! cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target "${targets[@]}" >"$BUILD_DIR/fuzz-build.log" 2>&1; then
  tail -20 "$BUILD_DIR/fuzz-build.log"
  echo "fuzz: FAILED to build the fuzz targets (see $BUILD_DIR/fuzz-build.log)"
  exit 1
fi

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$ROOT/libs/ingest/fuzz/ubsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
failed=()
run_target() {  # name, seed corpus dir (may not exist)
  local name="$1" seeds="$2"
  local work="$BUILD_DIR/fuzz-corpus/$name" artifacts="$BUILD_DIR/fuzz-artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  local dirs=("$work")
  [ -d "$seeds" ] && dirs+=("$seeds")
  local start=$SECONDS
  # New inputs go to the first directory (the build's), never into the repository.
  if "$BUILD_DIR/bin/${name}_fuzz" "${BOUND[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "${dirs[@]}" >"$BUILD_DIR/fuzz-$name.log" 2>&1; then
    local execs
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD_DIR/fuzz-$name.log" | grep -o '[0-9]*$')"
    echo "fuzz: $name ok (${execs:-?} executions, $((SECONDS - start)) s)"
  else
    echo "fuzz: $name FAILED: see $BUILD_DIR/fuzz-$name.log and $artifacts"
    grep -m5 -E "ERROR|SUMMARY|runtime error" "$BUILD_DIR/fuzz-$name.log"
    failed+=("$name")
  fi
}
for t in "${INGEST_TARGETS[@]}"; do run_target "$t" "$ROOT/libs/ingest/fuzz/corpus/$t"; done
run_target block "$ROOT/libs/encoding/fuzz/corpus"
run_target write_wire "$ROOT/libs/rpc/fuzz/corpus"
run_target search_wire "$ROOT/libs/rpc/fuzz/search_corpus"

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed ($MODE)"
