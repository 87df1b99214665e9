#!/usr/bin/env python3
"""Predicts the wall time of a distributed `smt run` on N nodes from a
one-process run's per-stage seconds (its --metrics file) and the
communication volumes of the distributed algorithm (README, "Running on
several machines"). Each node is taken to be the machine the one-process run
was measured on; the network moves `--bandwidth` GB/s per link with
`--latency` seconds per message.

  stages that scale with images (divided by N): load, whitening, coding,
      statistics (accumulation), embed_test, embed_train, knn
  stages done once (not divided): dictionary (the selection runs on every
      process on the same sample), solve (process 0), the sgemm probe
  communication (binomial trees of depth ceil(log2 N)):
      V and L reduced once:  depth x (K(K+1)/2 x 8 bytes) x (2 if V is dense else 1)
      the model broadcast:   depth x model bytes
      test features:         every process receives all of them once:
                             depth x n_test x feature_dim x 4 bytes
      top-k lists gathered:  process 0 receives (N-1) x n_test x k x 16 bytes
      dictionary sample:     depth x candidates x patch_dim x 4 bytes

Usage: distributed_cost_model.py METRICS.json [--nodes 2 8 64] [--scale S]
  --scale multiplies the image counts (training and test) for a larger
  dataset of the same image size (an ImageNet-scale run: see BENCHMARKS.md).
"""

import argparse
import json
import math

SCALING = ["load", "whitening", "coding", "statistics", "embed_test", "embed_train", "knn"]
FIXED = ["dictionary", "solve"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("metrics")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 8, 64])
    ap.add_argument("--bandwidth", type=float, default=1.25, help="GB/s per link (10 GbE: 1.25)")
    ap.add_argument("--latency", type=float, default=20e-6)
    ap.add_argument("--scale", type=float, default=1.0, help="training and test images x this")
    ap.add_argument("--test-scale", type=float, default=None, help="test images x this (default --scale)")
    ap.add_argument("--diagonal-v", action="store_true", help="one-hot codes: V is K values")
    ap.add_argument("--candidates", type=float, default=5e6, help="dictionary candidates drawn")
    args = ap.parse_args()
    m = json.load(open(args.metrics))
    sec = m["seconds"]
    cfg = m["config"]
    k = cfg["dict-size"] if "dict-size" in cfg else cfg["dict_size"]
    knn_k = cfg.get("knn-k", cfg.get("knn_k"))
    n_test = m["test_images"]
    fdim = m["feature_dim"]
    dense_v = not args.diagonal_v
    test_scale = args.scale if args.test_scale is None else args.test_scale
    # k-NN work grows with training x test images; the rest with the images they run over.
    scale_of = {s: args.scale for s in SCALING}
    scale_of["embed_test"] = test_scale
    scale_of["knn"] = args.scale * test_scale
    bw = args.bandwidth * 1e9
    patch_dim = m.get("fit", {}).get("patch_dim", 108)
    print(f"from {args.metrics}: K {k}, feature dim {fdim}, {n_test} test images, k {knn_k}, "
          f"images x {args.scale} (test x {test_scale}), {args.bandwidth} GB/s links")
    print("| nodes | scaling stages | fixed stages | communication | predicted wall | speed-up |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = None
    for n in args.nodes:
        depth = math.ceil(math.log2(n)) if n > 1 else 0
        scaling = sum(sec.get(s, 0) * scale_of[s] for s in SCALING) / n
        fixed = sum(sec.get(s, 0) for s in FIXED) + 0.5
        vl = k * (k + 1) / 2 * 8 * (2 if dense_v else 1)
        model = k * patch_dim * 4 + k * cfg.get("embed-dim", 384) * 4
        feats = n_test * test_scale * fdim * 4
        topk = n_test * test_scale * knn_k * 16
        cand = args.candidates * patch_dim * 4
        comm = 0.0
        if n > 1:
            comm = (depth * (vl + model + feats + cand) + (n - 1) * topk) / bw + 100 * depth * args.latency
        total = scaling + fixed + comm
        base = base or total
        print(f"| {n} | {scaling:.0f} s | {fixed:.0f} s | {comm:.1f} s | {total:.0f} s "
              f"({total / 60:.1f} min) | {base / total:.1f}x |")


if __name__ == "__main__":
    main()
