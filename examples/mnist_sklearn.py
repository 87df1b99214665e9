#!/usr/bin/env python3
"""MNIST with the Sparse Manifold Transform and scikit-learn.

Fits smt.SparseManifoldTransform on a class-balanced subset of the MNIST
training split, then compares three classifiers on the pooled SMT features:

  * the library's own cosine-weighted k-NN (smt.knn_classify), the classifier
    of the SMT papers and of `smt run` / `smt eval`;
  * scikit-learn's KNeighborsClassifier (cosine metric, distance weights);
  * scikit-learn's LogisticRegression on standardized features.

It also writes a figure: (a) a 2-D PCA view of the test features coloured by
digit, and (b) a grid of learned dictionary atoms.

    PYTHONPATH=build/python python3 examples/mnist_sklearn.py --data /path/to/datasets

Settings follow configs/mnist.json (which was tuned on a held-out validation
set) except for a smaller dictionary, so the default run takes about a minute
on two cores.

A note on methodology: the test split is used here only to *report*
accuracies. To choose settings (dict_size, embed_dim, k, C, ...), hold out
part of the training split with smt.datasets.train_validation_split(X, y, n)
and compare on that -- never on the test split.
"""

import argparse
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")  # write files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import smt  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data",
        default=os.environ.get("SMT_DATA_DIR"),
        help="folder with the MNIST IDX files or its parent (default: $SMT_DATA_DIR)",
    )
    p.add_argument(
        "--train-limit", type=int, default=5000, help="training images (class-balanced; 0 = all)"
    )
    p.add_argument(
        "--test-limit", type=int, default=2000, help="test images (class-balanced; 0 = all)"
    )
    p.add_argument(
        "--dict-size", type=int, default=4096, help="dictionary atoms (configs/mnist.json: 16384)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the subsets and of the fit")
    p.add_argument("--threads", type=int, default=0, help="worker threads; 0 = all cores")
    p.add_argument("--out", default="mnist_features.png", help="figure to write (PNG)")
    args = p.parse_args()
    if not args.data:
        p.error("no dataset folder: pass --data DIR or set SMT_DATA_DIR")
    return args


def timed(label, fn, *a, **kw):
    """fn(*a, **kw), printing how long it took."""
    t0 = time.perf_counter()
    result = fn(*a, **kw)
    print(f"  {label:<34s} {time.perf_counter() - t0:6.1f} s", flush=True)
    return result


def atom_grid(atoms, side, cols, pad=1):
    """Atoms (n, side*side) as one mosaic image, each atom scaled to [-1, 1] by
    its own largest |value| (a per-atom colour normalisation), NaN padding."""
    n = len(atoms)
    rows = -(-n // cols)
    cell = side + pad
    grid = np.full((rows * cell - pad, cols * cell - pad), np.nan)
    for i, a in enumerate(atoms):
        a = a.reshape(side, side)
        r, c = divmod(i, cols)
        scale = max(np.abs(a).max(), 1e-12)
        grid[r * cell : r * cell + side, c * cell : c * cell + side] = a / scale
    return grid


def main():
    args = parse_args()
    t_start = time.perf_counter()

    # -- data ---------------------------------------------------------------
    # uint8 (n, 28, 28) images and int64 labels; a limit keeps a seeded,
    # class-balanced subset (the same images as the CLI's --train-limit).
    print("data")
    load = smt.datasets.load
    X_train, y_train = timed(
        f"load train (limit {args.train_limit})",
        load, args.data, "train", args.train_limit, args.seed,
    )
    X_test, y_test = timed(
        f"load test (limit {args.test_limit})",
        load, args.data, "test", args.test_limit, args.seed,
    )
    print(f"  {len(X_train)} training and {len(X_test)} test images of {X_train.shape[1:]}")

    # -- the transform --------------------------------------------------------
    # configs/mnist.json, but a smaller dictionary. Every parameter of the C++
    # table is a keyword here (help(smt.SparseManifoldTransform)).
    est = smt.SparseManifoldTransform(
        flip=False,  # mirrored digits are other shapes
        whiten_tol=1.0,  # light whitening of the 6x6 patches
        dict_size=args.dict_size,
        dict_method="greedy",
        dict_threshold=0.9,  # greedy dictionary: max cosine between atoms
        threshold=1.0,  # >= 1: vector quantisation (one atom per patch)
        neighborhood=3,  # operator window: 7x7 patches
        embed_dim=32,
        seed=args.seed,
        threads=args.threads,
    )
    print("SparseManifoldTransform")
    try:
        timed("fit", est.fit, X_train)
    except smt.Error as e:  # e.g. the greedy dictionary found too few atoms
        sys.exit(f"fit failed: {e}\n(try a smaller --dict-size or a larger --train-limit)")
    F_train = timed("transform train", est.transform, X_train)
    F_test = timed("transform test", est.transform, X_test)
    # fit_metrics_: the stage times and sizes the CLI writes as its metrics JSON.
    seconds = est.fit_metrics_["seconds"]
    stage_order = ("whitening", "dictionary", "coding", "statistics", "solve")
    stages = ", ".join(f"{k} {seconds[k]:.1f} s" for k in stage_order if k in seconds)
    print(f"  fit stages: {stages}")
    print(f"  features: {F_train.dtype}, {est.feature_dim_} per image")

    # -- classifiers ------------------------------------------------------------
    # Each is fitted on the training features and scored on the test features.
    n_jobs = args.threads if args.threads > 0 else -1  # scikit-learn's "all cores"
    accuracies = {}

    def report(name, predict):
        t0 = time.perf_counter()
        pred = predict()
        accuracies[name] = float(np.mean(pred == y_test))
        took = time.perf_counter() - t0
        print(f"  {name:<44s} test accuracy {accuracies[name]:.4f}  ({took:.1f} s)", flush=True)

    print("classifiers")
    # The SMT papers' k-NN: cosine similarity, votes exp(cos / T). For use in a
    # Pipeline / GridSearchCV the same is smt.KNNClassifier(k, temperature).
    report(
        "smt.knn_classify (k=10, T=0.03)",
        lambda: smt.knn_classify(
            F_train, y_train, F_test, k=10, temperature=0.03, threads=args.threads
        ).predictions,
    )
    report(
        "sklearn KNeighbors (k=10, cosine, distance)",
        lambda: KNeighborsClassifier(
            n_neighbors=10, metric="cosine", weights="distance", n_jobs=n_jobs
        )
        .fit(F_train, y_train)
        .predict(F_test),
    )
    # C (the inverse L2 strength) is left at 1; choose it on a validation split.
    report(
        "sklearn StandardScaler + LogisticRegression",
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        .fit(F_train, y_train)
        .predict(F_test),
    )

    # -- figure -------------------------------------------------------------
    fig, (ax_a, ax_b) = plt.subplots(
        1, 2, figsize=(9, 4.5), gridspec_kw={"width_ratios": [1.15, 1]}
    )

    # (a) PCA of the L2-normalised test features (the k-NN compares directions).
    norms = np.maximum(np.linalg.norm(F_test, axis=1, keepdims=True), 1e-12)
    Z = PCA(n_components=2, random_state=args.seed).fit_transform(F_test / norms)
    sc = ax_a.scatter(
        Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", vmin=-0.5, vmax=9.5, s=4, alpha=0.7, linewidths=0
    )
    fig.colorbar(sc, ax=ax_a, ticks=range(10), fraction=0.05, pad=0.02).set_label("digit")
    ax_a.set_title(f"(a) SMT features of {len(X_test)} test images, PCA")
    ax_a.set_xlabel("PC 1")
    ax_a.set_ylabel("PC 2")
    ax_a.set_xticks([])
    ax_a.set_yticks([])

    # (b) 64 dictionary atoms (whitened 6x6 patches), taken at evenly spaced
    # ranks of the first embedding coordinate P[0] and shown in that order:
    # the embedding places atoms close when they occur at neighbouring patch
    # positions (the SMT's "time" is the patch grid), so P[0] varies smoothly.
    D, P = est.dictionary_, est.projection_
    order = np.argsort(P[0])
    pick = order[np.linspace(0, len(order) - 1, 64).round().astype(int)]
    side = est.patch_size
    grid = atom_grid(D[pick], side, cols=8)
    ax_b.imshow(grid, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax_b.set_title(f"(b) 64 of {len(D)} atoms, ordered by P[0]")
    ax_b.axis("off")

    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    plt.close(fig)
    print(f"figure: {args.out}")
    print(f"total {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
