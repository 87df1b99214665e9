#!/usr/bin/env bash
# Full-scale MNIST benchmarks recorded in BENCHMARKS.md:
#   1. all 60,000 training and 10,000 test images with configs/mnist.json;
#   2. the same with --train-limit 5000.
# Writes bench/results/<name>.json (smt's metrics) and <name>.time (GNU time -v).
# Usage: bash bench/mnist.sh [extra smt run arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=$(bash scripts/get-data.sh)
mkdir -p bench/results
run() {
  local name=$1
  shift
  echo "== $name: smt run --config configs/mnist.json $*" >&2
  /usr/bin/time -v -o "bench/results/$name.time" \
    ./build/smt run --config configs/mnist.json --data "$DATA" \
    --metrics "bench/results/$name.json" "$@"
  grep -E "Elapsed|Maximum resident" "bench/results/$name.time" >&2
}
./build/smt_bench_sgemm 36 16384 529 2 | tee bench/results/rates.txt
run mnist-full "$@"
run mnist-5000 --train-limit 5000 "$@"
