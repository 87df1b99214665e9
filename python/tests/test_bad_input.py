"""Bad input raises, naming the argument or parameter; strided and float
input is read exactly like its contiguous uint8 equivalent."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import smt
from conftest import synthetic_images

TINY = {"dict_size": 64, "dict_threshold": 0.8, "embed_dim": 6, "threads": 1, "flip": False}


@pytest.fixture(scope="module")
def fitted():
    X, _ = synthetic_images(60, side=12, seed=2)
    return smt.SparseManifoldTransform(**TINY).fit(X), X


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.bool_, np.complex64, np.float16])
def test_wrong_dtype(dtype, fitted):
    est, X = fitted
    with pytest.raises(ValueError, match=r"X: images of dtype"):
        est.transform(X.astype(dtype))
    with pytest.raises(ValueError, match=r"X: images of dtype"):
        smt.SparseManifoldTransform(**TINY).fit(X.astype(dtype))


@pytest.mark.parametrize("shape", [(144,), (5, 144), (1, 5, 12, 12, 1)])
def test_wrong_ndim(shape, fitted):
    est, _ = fitted
    with pytest.raises(ValueError, match=r"X: an array of \d dimensions"):
        est.transform(np.zeros(shape, np.uint8))


def test_nan_and_out_of_range_pixels(fitted):
    est, X = fitted
    F = X.astype(np.float32) / 255
    F[3, 4, 5] = np.nan
    with pytest.raises(ValueError, match=r"X: float32 pixel nan of image 3"):
        est.transform(F)
    D = X.astype(np.float64) / 255
    D[1, 0, 0] = 1.5
    with pytest.raises(ValueError, match=r"X: float64 pixel 1.5 of image 1"):
        smt.SparseManifoldTransform(**TINY).fit(D)


def test_images_smaller_than_a_patch():
    with pytest.raises(ValueError, match="patch_size"):
        smt.SparseManifoldTransform(**TINY).fit(np.zeros((10, 4, 4), np.uint8))


def test_empty_input(fitted):
    est, _ = fitted
    with pytest.raises(ValueError, match="X: no images"):
        est.transform(np.zeros((0, 12, 12), np.uint8))


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        smt.SparseManifoldTransform().transform(np.zeros((2, 12, 12), np.uint8))
    with pytest.raises(NotFittedError):
        smt.SparseManifoldTransform().dictionary_


def test_mismatched_channels_and_size_at_transform(fitted):
    est, X = fitted
    rgb = np.repeat(X[..., None], 3, axis=3)
    with pytest.raises(ValueError, match=r"12x12x3 but the model expects 12x12x1"):
        est.transform(rgb)
    with pytest.raises(ValueError, match=r"10x10x1 but the model expects 12x12x1"):
        est.transform(X[:, :10, :10])
    with pytest.raises(ValueError, match=r"X: images with 2 channels"):
        est.transform(np.zeros((2, 12, 12, 2), np.uint8))


def test_bad_labels():
    X, y = synthetic_images(20, side=12)
    with pytest.raises(ValueError, match=r"y: labels must be one per image"):
        smt.SparseManifoldTransform(**TINY).fit(X, y[:5])
    with pytest.raises(ValueError, match=r"y: label -1 of image 0"):
        smt.SparseManifoldTransform(**TINY).fit(X, -np.ones(20, np.int64))
    with pytest.raises(ValueError, match=r"y: labels of dtype float64"):
        smt.SparseManifoldTransform(**TINY).fit(X, y.astype(np.float64))


def test_strided_and_float_views_equal_the_contiguous_uint8_images(fitted):
    est, X = fitted
    ref = est.transform(np.ascontiguousarray(X[::2, :, ::-1]))
    assert est.transform(X[::2, :, ::-1]).tobytes() == ref.tobytes()  # negative strides, no copy
    fortran = np.asfortranarray(X[::2, :, ::-1])
    assert est.transform(fortran).tobytes() == ref.tobytes()
    with_channel = np.ascontiguousarray(X[::2, :, ::-1])[..., None]
    assert est.transform(with_channel).tobytes() == ref.tobytes()
    as_float = X[::2, :, ::-1].astype(np.float32) / np.float32(255)
    assert est.transform(as_float).tobytes() == ref.tobytes()
    as_double = X[::2, :, ::-1] / 255.0
    assert est.transform(as_double).tobytes() == ref.tobytes()
    transposed = np.ascontiguousarray(np.transpose(X[::2, :, ::-1], (0, 2, 1))).transpose(0, 2, 1)
    assert est.transform(transposed).tobytes() == ref.tobytes()


def test_a_python_list_of_images_is_accepted(fitted):
    est, X = fitted
    assert est.transform(list(X[:3])).tobytes() == est.transform(X[:3]).tobytes()
