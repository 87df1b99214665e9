"""Loaders for the formats the CLI reads, on files the test writes."""

import numpy as np
import pytest

import smt


def write_cifar10(root, n_per_batch=20, seed=0):
    rng = np.random.default_rng(seed)
    d = root / "cifar-10-batches-bin"
    d.mkdir()
    batches = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, size=n_per_batch, dtype=np.uint8)
        planes = rng.integers(0, 256, size=(n_per_batch, 3, 32, 32), dtype=np.uint8)
        rec = np.concatenate([labels[:, None], planes.reshape(n_per_batch, -1)], axis=1)
        (d / name).write_bytes(rec.tobytes())
        batches[name] = (planes.transpose(0, 2, 3, 1), labels)  # (n, h, w, c)
    return batches


def test_cifar10_binary(tmp_path):
    batches = write_cifar10(tmp_path)
    X, y = smt.datasets.load_cifar10(tmp_path, "train")
    assert X.shape == (100, 32, 32, 3) and X.dtype == np.uint8 and y.dtype == np.int64
    first = batches["data_batch_1.bin"]
    np.testing.assert_array_equal(X[:20], first[0])
    np.testing.assert_array_equal(y[:20], first[1])
    Xt, yt = smt.datasets.load(tmp_path, "test")  # the format found as smt run finds it
    np.testing.assert_array_equal(Xt, batches["test_batch.bin"][0])
    Xs, ys = smt.datasets.load_cifar10(tmp_path, "train", limit=30, seed=4)
    idx = smt.datasets.balanced_subset(y, 30, seed=4)
    np.testing.assert_array_equal(Xs, X[idx])
    np.testing.assert_array_equal(ys, y[idx])


def test_cifar100_binary_fine_and_coarse(tmp_path):
    rng = np.random.default_rng(1)
    d = tmp_path / "cifar-100-binary"
    d.mkdir()
    for name, n in (("train.bin", 12), ("test.bin", 6)):
        coarse = rng.integers(0, 20, size=n, dtype=np.uint8)
        fine = rng.integers(0, 100, size=n, dtype=np.uint8)
        pix = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        (d / name).write_bytes(np.concatenate([coarse[:, None], fine[:, None], pix], 1).tobytes())
        if name == "train.bin":
            want_coarse, want_fine = coarse, fine
    _, y = smt.datasets.load_cifar100(tmp_path, "train")
    _, yc = smt.datasets.load_cifar100(tmp_path, "train", coarse=True)
    np.testing.assert_array_equal(y, want_fine)
    np.testing.assert_array_equal(yc, want_coarse)


def test_image_folder(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    rng = np.random.default_rng(2)
    want = {}
    for split in ("train", "test"):
        for cls in ("cat", "dog"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(3):
                img = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
                matplotlib.image.imsave(tmp_path / split / cls / f"{i}.png", img)
                want[(split, cls, i)] = img
    X, y, names = smt.datasets.load_image_folder(tmp_path, "train", return_class_names=True)
    assert names == ["cat", "dog"] and X.shape == (6, 8, 8, 3)
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(X[0], want[("train", "cat", 0)])
    np.testing.assert_array_equal(X[5], want[("train", "dog", 2)])


def test_image_folder_of_mixed_sizes_needs_resize(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    for split in ("train", "test"):
        for cls, (h, w) in (("a", (8, 12)), ("b", (10, 10))):
            (tmp_path / split / cls).mkdir(parents=True)
            img = np.full((h, w, 3), 90 if cls == "a" else 200, dtype=np.uint8)
            matplotlib.image.imsave(tmp_path / split / cls / "0.png", img)
    with pytest.raises(smt.Error, match="resize"):
        smt.datasets.load_image_folder(tmp_path, "train")
    X, y = smt.datasets.load_image_folder(tmp_path, "train", resize=6)
    assert X.shape == (2, 6, 6, 3)
    # A constant image stays constant through the filter and the crop.
    assert (X[0] == 90).all() and (X[1] == 200).all()
    with pytest.raises(smt.Error, match="image folders"):
        smt._smt.load_format("cifar10", str(tmp_path), "train", 0, 0, resize=4)


def test_errors_name_the_path_and_the_split(tmp_path):
    with pytest.raises(smt.Error, match=str(tmp_path)):
        smt.datasets.load(tmp_path, "train")
    with pytest.raises(ValueError, match="split='train' or split='test'"):
        smt.datasets.load(tmp_path, "validation")
    (tmp_path / "cifar-10-batches-bin").mkdir()
    (tmp_path / "cifar-10-batches-bin" / "test_batch.bin").write_bytes(b"\x01" * 100)
    with pytest.raises(smt.Error, match="test_batch.bin"):
        smt.datasets.load_cifar10(tmp_path, "test")


def test_balanced_subset_and_split_are_class_balanced():
    y = np.repeat(np.arange(5), 40)
    idx = smt.datasets.balanced_subset(y, 50, seed=1)
    assert np.all(np.diff(idx) > 0) and np.bincount(y[idx]).tolist() == [10] * 5
    X = np.arange(200)
    X_fit, X_val, y_fit, y_val = smt.datasets.train_validation_split(X, y, 25, seed=1)
    assert np.bincount(y_val).tolist() == [5] * 5 and len(X_fit) == 175
    assert set(X_fit) | set(X_val) == set(X) and not set(X_fit) & set(X_val)
