#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind: repeatable whatever else the
# machine does) of the same small fit + embed through the CLI and through
# Python, and of the Python interpreter importing smt and reading the data
# alone. Python - baseline - CLI is what the binding adds.
#
#   bash bench/python-overhead-callgrind.sh build DATA_DIR
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
data=${2:?MNIST directory}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
opts=(--flip false --dict-size 512 --dict-threshold 0.6 --embed-dim 16 --neighborhood 3 --threads 1)
limits=(--train-limit 500 --test-limit 300 --seed 0)
count() {  # prints the total instruction count of a command
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$@" >/dev/null 2>"$work/vg.log"
  local total=0 f
  for f in "$work"/cg.*; do
    total=$((total + $(grep -m1 '^summary:' "$f" | awk '{print $2}')))
    rm -f "$f"
  done
  echo "$total"
}
export OMP_NUM_THREADS=1 PYTHONPATH=$build/python
fit=$(count "$build/smt" fit -q --data "$data" --model "$work/m.smtm" "${opts[@]}" "${limits[@]}")
embed=$(count "$build/smt" embed -q --data "$data" --model "$work/m.smtm" --split test \
  --out "$work/cli.npy" "${limits[@]}")
py=$(count /usr/bin/python3 -c "
import numpy as np, smt
X, y = smt.datasets.load('$data', 'train', limit=500, seed=0)
Xt, _ = smt.datasets.load('$data', 'test', limit=300, seed=0)
est = smt.SparseManifoldTransform(flip=False, dict_size=512, dict_threshold=0.6, embed_dim=16,
                                  neighborhood=3, threads=1).fit(X, y)
np.save('$work/py.npy', est.transform(Xt))")
base=$(count /usr/bin/python3 -c "
import numpy as np, smt
X, y = smt.datasets.load('$data', 'train', limit=500, seed=0)
Xt, _ = smt.datasets.load('$data', 'test', limit=300, seed=0)")
cmp -s "$work/cli.npy" "$work/py.npy" && same=yes || same=NO
cli=$((fit + embed))
echo "instructions: smt fit $fit + smt embed $embed = $cli"
echo "instructions: python fit+transform $py, of which interpreter, imports and loading $base"
awk -v c="$cli" -v p="$py" -v b="$base" 'BEGIN {
  printf "binding overhead (python - baseline - cli): %d instructions = %.3f %% of the CLI\n", p - b - c, 100 * (p - b - c) / c
  printf "whole python process / cli: %.4f\n", p / c }'
echo "features identical: $same"
