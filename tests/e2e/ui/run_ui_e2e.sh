#!/usr/bin/env bash
# Runs ui_e2e_test.mjs: installs playwright-core (package-lock.json) into the build
# directory when missing, then drives the strata-select query page in Debian's
# headless Chromium.   Usage: run_ui_e2e.sh <build-dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
work="$build/ui_e2e"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
if [[ ! -d "$work/node_modules/playwright-core" ]]; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$work"
exec node "$here/ui_e2e_test.mjs" "$build/bin"
