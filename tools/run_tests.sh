#!/usr/bin/env bash
# Runs every registered test (unit, integration, PromQL scripts) through ctest and
# prints ctest's summary line, then a short fuzz run (tools/run_fuzz.sh short).
# Usage: tools/run_tests.sh [build-dir]
set -uo pipefail
BUILD_DIR="${1:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure -j 2 --timeout 600 2>&1 | tee ctest.log | grep -vE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed"
ctest_rc="${PIPESTATUS[0]}"
cd - >/dev/null
# A short libFuzzer run of every parser and codec (skipped with a message without
# clang); FUZZ=0 leaves it out.
fuzz_rc=0
if [ "${FUZZ:-1}" != 0 ]; then
  bash "$(dirname "$0")/run_fuzz.sh" short "${FUZZ_BUILD_DIR:-build-fuzz}"
  fuzz_rc=$?
fi
# ctest's summary line again, last, so whoever reads the end of the log sees it.
grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$BUILD_DIR/ctest.log" | tail -1
[ "$ctest_rc" -eq 0 ] && exit "$fuzz_rc"
exit "$ctest_rc"
