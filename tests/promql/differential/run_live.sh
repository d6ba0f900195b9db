#!/usr/bin/env bash
# Live differential test: asks Prometheus 2.42's own engine (promtool) for the
# answers to every query of queries.tmpl right now, then checks strata's engine gives
# the same (strata-promqltest). Usage: run_live.sh <strata-promqltest> <out-dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$2/differential_live.test"
/usr/bin/python3 "$here/make_golden.py" "$here/queries.tmpl" "$out"
exec "$1" "$out"
