#!/usr/bin/env bash
# Installs the library from build dir $1 (default build/) into a temporary
# prefix and builds and runs tests/consumer against it: find_package(smt),
# smt::smt and <smt/smt.h> work from a project outside this tree.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S tests/consumer -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/smt_consumer"
echo "test-consumer.sh: 1 passed, 0 failed"
