#!/usr/bin/env bash
# Reliability benchmarks recorded in BENCHMARKS.md ("Reliability", issue 16):
#   bash bench/reliability.sh memory       # peak RSS under --memory-limit: CIFAR-10 1,000-image
#                                          # setting at 2 GB (1.86 GiB), full MNIST at 3 GB (2.79 GiB)
#   bash bench/reliability.sh checkpoint   # the same two runs with --checkpoint (default
#                                          # interval): the seconds spent saving against the fit's
# Writes bench/results/reliability-<name>.json (smt's metrics) and .time (GNU time -v).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MNIST=$(bash scripts/get-data.sh)
CIFAR=$(bash scripts/get-cifar10.sh)
mkdir -p bench/results
run() {
  local name=$1
  shift
  echo "== $name: smt run $*" >&2
  /usr/bin/time -v -o "bench/results/reliability-$name.time" \
    ./build/smt run --metrics "bench/results/reliability-$name.json" "$@"
  grep -E "Elapsed|Maximum resident" "bench/results/reliability-$name.time" >&2
}
cifar=(--config configs/cifar10.json --data "$CIFAR" --train-limit 1000 --dict-threshold 0.45)
mnist=(--config configs/mnist.json --data "$MNIST")
case ${1:-memory} in
  memory)
    run cifar-1000-2GB "${cifar[@]}" --memory-limit 1.86
    run mnist-full-3GB "${mnist[@]}" --memory-limit 2.79
    ;;
  checkpoint)
    ckpt=$(mktemp -d)
    trap 'rm -rf "$ckpt"' EXIT
    run cifar-1000-checkpoint "${cifar[@]}" --memory-limit 1.86 --checkpoint "$ckpt/cifar"
    run mnist-full-checkpoint "${mnist[@]}" --memory-limit 2.79 --checkpoint "$ckpt/mnist"
    ;;
  *) echo "usage: bash bench/reliability.sh memory|checkpoint" >&2; exit 2 ;;
esac
