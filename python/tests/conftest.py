"""Shared fixtures: the smt CLI built next to the package, MNIST, small settings."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import smt

# Small enough for a test (seconds on 2 cores), large enough that the
# statistics are well posed.
SMALL = {"dict_size": 256, "dict_threshold": 0.6, "embed_dim": 12, "neighborhood": 3, "threads": 2}


def cli_options(params):
    """Keyword parameters as smt command-line options."""
    out = []
    for k, v in params.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


@pytest.fixture(scope="session")
def smt_binary():
    path = os.environ.get("SMT_BINARY")
    if not path or not Path(path).is_file():
        pytest.skip("SMT_BINARY (the smt executable) not set")
    return path


@pytest.fixture(scope="session")
def run_cli(smt_binary):
    def run(*args, check=True):
        r = subprocess.run([smt_binary, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"smt {' '.join(map(str, args))} failed:\n{r.stderr}")
        return r

    return run


@pytest.fixture(scope="session")
def mnist_dir():
    d = os.environ.get("SMT_DATA_DIR")
    if not d:
        pytest.skip("SMT_DATA_DIR not set (scripts/test.sh sets it)")
    return d


@pytest.fixture(scope="session")
def mnist_small(mnist_dir):
    """300 training and 200 test images, the CLI's --train-limit 300 --test-limit 200."""
    X, y = smt.datasets.load(mnist_dir, "train", limit=300, seed=0)
    Xt, yt = smt.datasets.load(mnist_dir, "test", limit=200, seed=0)
    return X, y, Xt, yt


def synthetic_images(n, side=16, channels=1, seed=0):
    """Bars at random positions over noise: structured enough for a dictionary."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 40, size=(n, side, side, channels), dtype=np.uint8)
    for i in range(n):
        r, c = rng.integers(2, side - 2, size=2)
        if i % 2:
            X[i, r - 1 : r + 1, :, :] = 230
        else:
            X[i, :, c - 1 : c + 1, :] = 230
    y = (np.arange(n) % 2).astype(np.int64)
    return (X[..., 0] if channels == 1 else X), y


def read_json(path):
    with open(path) as f:
        return json.load(f)
