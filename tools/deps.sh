#!/usr/bin/env bash
# Installs, from Debian packages, whatever Strata needs to build and test that is
# missing. Idempotent: a second run installs nothing. Needs root or sudo.
#   tools/deps.sh          build + unit/integration test dependencies
#   tools/deps.sh --e2e    also the real clients used by end-to-end tests
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libzstd-dev librocksdb-dev libboost-dev libboost-system-dev
  libspdlog-dev libfmt-dev catch2 libsnappy-dev libre2-dev libxxhash-dev
  libcli11-dev rapidjson-dev libssl-dev zlib1g-dev libbenchmark-dev libjemalloc-dev
  curl procps
  clang libclang-rt-14-dev
)
E2E_PKGS=(prometheus victoria-metrics chromium)
# node-exporter for the HA-pair and vmagent end-to-end tests (vmagent and vmalert
# come with victoria-metrics).
E2E_PKGS+=(prometheus-node-exporter)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--e2e" ]]; then want+=("${E2E_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
