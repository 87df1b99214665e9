#!/usr/bin/env bash
# The main experiment: installs dependencies, builds smt (Release, build/),
# fetches MNIST (scripts/get-data.sh) and runs the full pipeline with
# configs/mnist.json, writing metrics to ${SMT_METRICS:-mnist-metrics.json}.
# Extra arguments are passed to `smt run` (e.g. --threads 8 --test-limit 1000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target smt
DATA=$(bash scripts/get-data.sh)
exec ./build/smt run --config configs/mnist.json --data "$DATA" \
  --metrics "${SMT_METRICS:-mnist-metrics.json}" "$@"
