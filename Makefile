# Two entry points for a fresh Debian 12 machine:
#   make run    install what is missing, build Release, start a local cluster
#   make test   install what is missing, build, run every test (ctest)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./data
JOBS ?= $(shell nproc)

.PHONY: deps deps-e2e configure build test run clean fuzz-long bench

deps:
	@bash tools/deps.sh

deps-e2e:
	@bash tools/deps.sh --e2e

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps-e2e build
	@bash tools/run_tests.sh $(BUILD_DIR)

# libFuzzer targets (clang, own build dir): `make test` runs each briefly through
# tools/run_tests.sh; this runs each for FUZZ_SECONDS (default 10 minutes).
FUZZ_BUILD_DIR ?= build-fuzz
fuzz-long: deps
	@bash tools/run_fuzz.sh long $(FUZZ_BUILD_DIR)

run: deps
	@cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release -j $(JOBS) --target strata-storage strata-insert strata-select
	@bash tools/run_cluster.sh build-release $(DATA_DIR)

bench: build
	@echo "benchmarks: see docs/benchmarks.md for the commands and figures"

clean:
	rm -rf $(BUILD_DIR) build-release
