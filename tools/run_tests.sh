#!/usr/bin/env bash
# Runs every registered test (unit, integration, PromQL scripts) through ctest and
# prints ctest's summary line. Usage: tools/run_tests.sh [build-dir]
set -uo pipefail
BUILD_DIR="${1:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure -j 2 --timeout 600 2>&1 | tee ctest.log | grep -vE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed"
exit "${PIPESTATUS[0]}"
