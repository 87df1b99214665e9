#!/usr/bin/env python3
"""Python front end against the CLI on the same work (issue 14's benchmark).

For each setting, alternating `rounds` times:
  CLI     `smt fit` (training images) then `smt embed --split test` (.npy)
  Python  one process: smt.datasets.load, SparseManifoldTransform.fit, .transform
          of the test images, np.save
each under /usr/bin/time -v (wall seconds, peak RSS). Prints medians, the
Python/CLI wall ratio, the peak-RSS difference next to the size of the output
array, and checks that both .npy files are byte-identical.

  /usr/bin/python3 bench/python_overhead.py --smt build/smt --pythonpath build/python \\
      --mnist DIR --cifar DIR [--rounds 3] [--out bench/results/python-overhead.json]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PY_SCRIPT = """
import json, sys, time
import numpy as np
import smt
data, config, train_limit, test_limit, threads, out = sys.argv[1:7]
with open(config) as f:
    cfg = {k.replace("-", "_"): v for k, v in json.load(f).items() if not k.startswith("_")}
cfg = {k: v for k, v in cfg.items() if k in smt.SparseManifoldTransform().get_params()}
cfg.update(threads=int(threads))
t0 = time.monotonic()
X, y = smt.datasets.load(data, "train", limit=int(train_limit), seed=0)
est = smt.SparseManifoldTransform(**cfg)
t1 = time.monotonic()
est.fit(X, y)
t2 = time.monotonic()
Xt, _ = smt.datasets.load(data, "test", limit=int(test_limit), seed=0)
t3 = time.monotonic()
F = est.transform(Xt)
t4 = time.monotonic()
np.save(out, F)
print(json.dumps({"fit_s": t2 - t1, "transform_s": t4 - t3, "load_s": (t1 - t0) + (t3 - t2),
                  "fit_stage_s": sum(est.fit_metrics_["seconds"].values()),
                  "output_bytes": F.nbytes}))
"""


def timed(cmd, env=None):
    """(wall seconds, peak RSS bytes, stdout) of cmd under /usr/bin/time -v."""
    r = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) * 1024
    return seconds, rss, r.stdout


def run_setting(name, args, data, config, train_limit, test_limit, extra, tmp):
    env = dict(os.environ, PYTHONPATH=str(Path(args.pythonpath).resolve()))
    cfg_path = Path(tmp) / f"{name}.json"
    with open(config) as f:
        cfg = json.load(f)
    cfg.update(extra)
    cfg_path.write_text(json.dumps(cfg))
    limits = ["--train-limit", train_limit, "--test-limit", test_limit, "--seed", 0]
    rows = {"cli": [], "python": []}
    model, cli_npy, py_npy = (Path(tmp) / f"{name}{s}" for s in (".smtm", "-cli.npy", "-py.npy"))
    metrics = Path(tmp) / f"{name}-fit.json"

    def cli():
        fit = timed([args.smt, "fit", "-q", "--config", cfg_path, "--data", data, "--model", model,
                     "--threads", args.threads, "--metrics", metrics, *limits])
        emb = timed([args.smt, "embed", "-q", "--data", data, "--model", model, "--split", "test",
                     "--out", cli_npy, *limits])
        stages = json.loads(metrics.read_text())["seconds"]
        rows["cli"].append({"wall_s": fit[0] + emb[0], "fit_wall_s": fit[0], "embed_wall_s": emb[0],
                            "fit_stage_s": sum(stages.values()), "peak_rss": max(fit[1], emb[1])})

    def python():
        py = timed([sys.executable, "-c", PY_SCRIPT, data, cfg_path, train_limit, test_limit,
                    args.threads, py_npy], env=env)
        rows["python"].append({"wall_s": py[0], "peak_rss": py[1], **json.loads(py[2])})

    for r in range(args.rounds):
        # Alternating the order cancels a slow drift of the machine's speed.
        for side in (cli, python) if r % 2 == 0 else (python, cli):
            side()
        same = cli_npy.read_bytes() == py_npy.read_bytes()
        print(f"{name} round {r + 1}: CLI {rows['cli'][-1]['wall_s']:.1f} s, "
              f"Python {rows['python'][-1]['wall_s']:.1f} s, features identical: {same}", flush=True)
        if not same:
            sys.exit("the Python features differ from smt embed's")
    med = {side: {k: statistics.median(x[k] for x in v) for k in v[0]} for side, v in rows.items()}
    out = {
        "setting": name,
        "config": str(config),
        "extra": extra,
        "train_limit": train_limit,
        "test_limit": test_limit,
        "threads": args.threads,
        "rounds": rows,
        "median": med,
        "wall_ratio_python_over_cli": med["python"]["wall_s"] / med["cli"]["wall_s"],
        # The library's own stage timers inside each process: the binding's
        # cost without process start, imports and file loading.
        "fit_stage_ratio_python_over_cli": med["python"]["fit_stage_s"] / med["cli"]["fit_stage_s"],
        "per_round_wall_ratios": [p["wall_s"] / c["wall_s"] for p, c in zip(rows["python"], rows["cli"])],
        "peak_rss_difference_bytes": med["python"]["peak_rss"] - med["cli"]["peak_rss"],
        "output_array_bytes": med["python"]["output_bytes"],
    }
    print(f"{name}: per-round ratios {[round(x, 4) for x in out['per_round_wall_ratios']]}, "
          f"fit-stage ratio {out['fit_stage_ratio_python_over_cli']:.4f}")
    print(f"{name}: median wall CLI {med['cli']['wall_s']:.2f} s, Python {med['python']['wall_s']:.2f} s,"
          f" ratio {out['wall_ratio_python_over_cli']:.4f}; peak RSS CLI "
          f"{med['cli']['peak_rss'] / 2**20:.0f} MiB, Python {med['python']['peak_rss'] / 2**20:.0f} MiB"
          f" (output array {out['output_array_bytes'] / 2**20:.0f} MiB)", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--smt", default=str(ROOT / "build/smt"))
    ap.add_argument("--pythonpath", default=str(ROOT / "build/python"))
    ap.add_argument("--mnist", help="MNIST directory (smt --data)")
    ap.add_argument("--cifar", help="CIFAR-10 directory (scripts/get-cifar10.sh prints it)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "bench/results/python-overhead.json"))
    args = ap.parse_args()
    results = []
    settings = []
    if args.mnist:
        settings.append(("mnist-5000", args.mnist, ROOT / "configs/mnist.json", 5000, 2000, {}))
    if args.cifar:
        # theta 0.45 cannot fill 8192 atoms from 1,000 JPEG images; 0.5 does
        # (the 1,000-image column of BENCHMARKS.md's scaling table).
        settings.append(("cifar10-1000", args.cifar, ROOT / "configs/cifar10-jpeg.json", 1000, 1000,
                         {"dict-threshold": 0.5}))
    with tempfile.TemporaryDirectory() as tmp:
        for setting in settings:
            results.append(run_setting(setting[0], args, *setting[1:], tmp))
            Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
