#!/usr/bin/env bash
# CIFAR-10 benchmarks recorded in BENCHMARKS.md (issue 3), on the image folder
# that scripts/get-cifar10.sh provides (the shared JPEG copy, unpacked once):
#   bash bench/cifar10.sh full         # 50,000 train + flips, 10,000 test, configs/cifar10-jpeg.json
#   bash bench/cifar10.sh small        # --train-limit 1000, configs/cifar10.json thresholds
#   bash bench/cifar10.sh scale N      # configs/cifar10-jpeg.json at --train-limit N
#                                      # (N = 1000 also needs --dict-threshold 0.5: at 0.45
#                                      # its patches fill only 8010 of the 8192 atoms)
#   bash bench/cifar10.sh lever NAME   # one row of the issue-15 lever table: configs/cifar10-jpeg.json
#                                      # at --train-limit 5000 --validation 2000 plus the options
#                                      # after NAME (held-out training images, never the test split)
#   bash bench/cifar10.sh knn K,T ...  # the k-NN's k and temperature: one model fitted as a lever
#                                      # row, then smt eval for each K,T pair (the same features,
#                                      # so pairs differ only in the vote)
# Writes bench/results/cifar10-<name>.json (smt's metrics) and .time (GNU time -v).
# Extra arguments after the mode go to smt run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=$(bash scripts/get-cifar10.sh)
mkdir -p bench/results
run() {
  local name=$1 config=$2
  shift 2
  echo "== $name: smt run --config $config --data $DATA $*" >&2
  /usr/bin/time -v -o "bench/results/cifar10-$name.time" \
    ./build/smt run --config "$config" --data "$DATA" \
    --metrics "bench/results/cifar10-$name.json" "$@"
  grep -E "Elapsed|Maximum resident" "bench/results/cifar10-$name.time" >&2
}
mode=${1:-full}
shift || true
case $mode in
  full) run full configs/cifar10-jpeg.json --memory-limit 11 "$@" ;;
  # The JPEG copy cannot fill 8192 atoms at the public dictionary threshold
  # (0.38 at 1000 images) from 1000 images: 0.45 is the lowest tried that does.
  # --memory-limit 1.8 GiB keeps the run under the issue's 2 GB (the training
  # codes are then recoded for the k-NN instead of kept).
  small) run small-1000 configs/cifar10.json --train-limit 1000 --dict-threshold 0.45 \
    --memory-limit 1.8 "$@" ;;
  scale)
    n=$1
    shift
    run "scale-$n" configs/cifar10-jpeg.json --train-limit "$n" --memory-limit 11 "$@"
    ;;
  lever)
    name=$1
    shift
    run "lever-$name" configs/cifar10-jpeg.json --train-limit 5000 --validation 2000 \
      --memory-limit 11 "$@"
    ;;
  knn)
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    ./build/smt fit --config configs/cifar10-jpeg.json --data "$DATA" --train-limit 5000 \
      --validation 2000 --memory-limit 11 -q --model "$dir/model.smt"
    for pair in "$@"; do
      k=${pair%,*} t=${pair#*,}
      echo "== knn k $k, temperature $t" >&2
      ./build/smt eval --model "$dir/model.smt" --data "$DATA" --knn-k "$k" --knn-temperature "$t" \
        -q --metrics "bench/results/cifar10-knn-k$k-t$t.json"
    done
    ;;
  *)
    echo "usage: bash bench/cifar10.sh full|small|scale N|lever NAME [smt run args]|knn K,T ..." >&2
    exit 2
    ;;
esac
