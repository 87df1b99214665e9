#!/usr/bin/env bash
# The fixed small MNIST and CIFAR-10 runs whose model files, features and
# accuracies must stay byte-identical across a refactoring (issue 13):
# bash bench/refactor-check.sh BUILD/smt OUTDIR, then compare the printed hashes.
set -euo pipefail
SMT=$(realpath "$1"); OUT=$(realpath -m "$2"); mkdir -p "$OUT"
D=${SMT_DATA_DIR:-$(cd "$(dirname "$0")/../../shared/datasets" && pwd)}
M=$D/mnist
C=$(SMT_DATA_DIR=$D bash "$(dirname "$0")/../scripts/get-cifar10.sh")
cd "$(dirname "$0")/.."
MN="--config configs/mnist.json --train-limit 2000 --test-limit 500 --dict-size 1024 --embed-dim 32 --threads 2 -q"
CF="--config configs/cifar10-jpeg.json --train-limit 500 --test-limit 300 --dict-size 1024 --dict-max-candidates 100000 --embed-dim 64 --threads 2 -q"
$SMT fit $MN --data $M --model $OUT/mnist.smtm
$SMT embed --model $OUT/mnist.smtm --data $M --split test --out $OUT/mnist-test.npy --labels-out $OUT/mnist-labels.npy -q
$SMT run $MN --data $M --metrics $OUT/mnist-run.json
$SMT eval --model $OUT/mnist.smtm --data $M --metrics $OUT/mnist-eval.json -q
$SMT run $MN --data $M --validation 500 --metrics $OUT/mnist-val.json
$SMT fit $CF --data $C --model $OUT/cifar.smtm
$SMT embed --model $OUT/cifar.smtm --data $C --split test --out $OUT/cifar-test.npy -q
$SMT run $CF --data $C --metrics $OUT/cifar-run.json
$SMT run $CF --data $C --context-mean channel --metrics $OUT/cifar-run-ch.json
cd $OUT; for f in mnist.smtm cifar.smtm; do echo "$f sha256 $(sha256sum < $f | cut -c1-16)"; done
sha256sum *.npy | cut -c1-16,65-
for f in *run*.json mnist-val.json mnist-eval.json; do python3 -c "import json,sys;m=json.load(open('$f'));print('$f',m['top1'],m['top5'])"; done
