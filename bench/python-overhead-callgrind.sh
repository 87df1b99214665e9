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
opts=(--flip false --dict-size 512 --dict-threshold 0.6 --threshold 1.0 --embed-dim 16 --neighborhood 3 --threads 1)
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
# scipy (which scikit-learn, and so `import smt`, imports) fails to import
# under valgrind, so the extension module is loaded on its own: the binding is
# what is measured, the thin scikit-learn layer above it is not.
load_module="
import importlib.machinery, importlib.util, glob, json
import numpy as np
path = glob.glob('$build/python/smt/_smt*.so')[0]
spec = importlib.util.spec_from_loader('_smt', importlib.machinery.ExtensionFileLoader('_smt', path))
_smt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(_smt)
X, y, _ = _smt.load_split('$data', 'train', 500, 0)
Xt, _, _ = _smt.load_split('$data', 'test', 300, 0)"
py=$(count /usr/bin/python3 -c "$load_module
est = _smt.Estimator(json.dumps({'flip': False, 'dict-size': 512, 'dict-threshold': 0.6,
    'threshold': 1.0, 'embed-dim': 16, 'neighborhood': 3, 'threads': 1}))
est.fit(X, y)
np.save('$work/py.npy', est.transform(Xt))")
base=$(count /usr/bin/python3 -c "$load_module")
cmp -s "$work/cli.npy" "$work/py.npy" && same=yes || same=NO
cli=$((fit + embed))
echo "instructions: smt fit $fit + smt embed $embed = $cli"
echo "instructions: python fit+transform $py, of which interpreter, imports and loading $base"
awk -v c="$cli" -v p="$py" -v b="$base" 'BEGIN {
  printf "binding overhead (python - baseline - cli): %.0f instructions = %.3f %% of the CLI\n", p - b - c, 100 * (p - b - c) / c
  printf "whole python process / cli: %.4f\n", p / c }'
echo "features identical: $same"
