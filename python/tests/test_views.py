"""Augmented views and the online dictionary from Python: the same
parameters as the CLI, deterministic, and refused where they cannot apply."""

import numpy as np
import pytest

import smt
from conftest import synthetic_images

COLOUR = {"dict_size": 64, "dict_threshold": 0.8, "embed_dim": 6, "threads": 1,
          "flip": True, "gray_view": True}


@pytest.fixture(scope="module")
def colour():
    X, y = synthetic_images(40, side=12, channels=3, seed=4)
    # Give the channels different content, so that luma copies differ from the images.
    X = X.copy()
    X[..., 1] //= 2
    return X, y


def test_joint_views_are_deterministic_and_differ_from_separate(colour):
    X, _ = colour
    joint = dict(COLOUR, view_context="joint")
    a = smt.SparseManifoldTransform(**joint).fit(X)
    b = smt.SparseManifoldTransform(**joint).fit(X)
    assert a.projection_.tobytes() == b.projection_.tobytes()
    # (On images this small the smallest eigenvalues are 1e-12, a degenerate
    # problem whose basis LAPACK may choose per thread count: issue 16 bounds that.)
    assert a.fit_metrics_["fit"]["contexts"] == len(X)
    assert a.fit_metrics_["fit"]["augmented_images"] == 4 * len(X)
    sep = smt.SparseManifoldTransform(**COLOUR).fit(X)
    assert sep.fit_metrics_["fit"]["contexts"] == 4 * len(X)
    assert sep.dictionary_.tobytes() == a.dictionary_.tobytes()
    assert sep.projection_.tobytes() != a.projection_.tobytes()


def test_online_dictionary(colour):
    X, _ = colour
    params = dict(COLOUR, dict_method="online", dict_samples=20000, kmeans_batch=4000)
    a = smt.SparseManifoldTransform(**params).fit(X)
    b = smt.SparseManifoldTransform(**dict(params, threads=2)).fit(X)
    assert a.dictionary_.tobytes() == b.dictionary_.tobytes()
    np.testing.assert_allclose(np.linalg.norm(a.dictionary_, axis=1), 1.0, rtol=1e-5)


def test_gray_view_needs_colour_images(colour):
    X, _ = colour
    with pytest.raises(smt.Error, match="gray_view"):
        smt.SparseManifoldTransform(**COLOUR).fit(X[..., 0])
    with pytest.raises(smt.Error, match="view_context"):
        smt.SparseManifoldTransform(**dict(COLOUR, view_context="joint", neighborhood=2)).fit(X)
