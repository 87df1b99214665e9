"""Python and the CLI compute the same bytes: one model file format, one
feature computation, one k-NN."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import smt
from conftest import SMALL, cli_options, read_json

LIMITS = ["--train-limit", "300", "--test-limit", "200", "--seed", "0"]


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory, run_cli, mnist_dir):
    d = tmp_path_factory.mktemp("cli")
    model = d / "cli.smtm"
    run_cli("fit", "-q", "--data", mnist_dir, "--model", model, *LIMITS, *cli_options(SMALL))
    return model


def embed(run_cli, mnist_dir, model, out, split="test", limits=()):
    # A model keeps the limits it was fitted with (a Python-fitted one: none).
    run_cli("embed", "-q", "--data", mnist_dir, "--model", model, "--split", split, "--out", out,
            "--labels-out", out.with_suffix(".labels.npy"), *limits)
    return np.load(out), np.load(out.with_suffix(".labels.npy"))


def test_transform_equals_smt_embed_bit_for_bit(cli_model, run_cli, mnist_dir, mnist_small, tmp_path):
    _, _, Xt, yt = mnist_small
    cli_features, cli_labels = embed(run_cli, mnist_dir, cli_model, tmp_path / "f.npy")
    est = smt.SparseManifoldTransform.load(cli_model)
    features = est.transform(Xt)
    assert features.dtype == np.float32 and features.shape == cli_features.shape
    assert features.tobytes() == cli_features.tobytes()
    np.testing.assert_array_equal(yt, cli_labels)
    assert est.dict_size == SMALL["dict_size"] and est.feature_dim_ == features.shape[1]


def test_python_fit_gives_the_cli_the_cli_models_features(cli_model, run_cli, mnist_dir,
                                                           mnist_small, tmp_path):
    X, y, Xt, _ = mnist_small
    est = smt.SparseManifoldTransform(**SMALL).fit(X, y)
    cli = smt.SparseManifoldTransform.load(cli_model)
    assert est.dictionary_.tobytes() == cli.dictionary_.tobytes()
    assert est.whitening_.tobytes() == cli.whitening_.tobytes()
    assert est.projection_.tobytes() == cli.projection_.tobytes()
    np.testing.assert_array_equal(est.eigenvalues_, cli.eigenvalues_)
    py_model = tmp_path / "py.smtm"
    est.save(py_model)
    from_py, _ = embed(run_cli, mnist_dir, py_model, tmp_path / "py.npy", limits=LIMITS)
    from_cli, _ = embed(run_cli, mnist_dir, cli_model, tmp_path / "cli.npy")
    assert from_py.tobytes() == from_cli.tobytes()
    assert est.transform(Xt).tobytes() == from_cli.tobytes()


def test_knn_on_python_features_scores_what_smt_run_scores(run_cli, mnist_dir, mnist_small,
                                                           tmp_path):
    # With flips the CLI's k-NN references are the training images and their
    # mirror images: a flipped view in NumPy gives the same features.
    X, y, Xt, yt = mnist_small
    params = dict(SMALL, flip=True)
    metrics = tmp_path / "m.json"
    run_cli("run", "-q", "--data", mnist_dir, "--metrics", metrics, *LIMITS, *cli_options(params))
    m = read_json(metrics)
    est = smt.SparseManifoldTransform(**params).fit(X, y)
    refs = np.vstack([est.transform(X), est.transform(X[:, :, ::-1])])
    r = smt.knn_classify(refs, np.concatenate([y, y]), est.transform(Xt), test_labels=yt)
    assert r.top1_accuracy == pytest.approx(m["top1"], abs=1e-12)  # fractions, as the CLI's JSON
    assert r.top5_accuracy == pytest.approx(m["top5"], abs=1e-12)
    assert r.predictions.shape == (len(Xt),) and r.top5.shape == (len(Xt), 5)


def test_pipeline_with_knn_classifier_scores_what_smt_run_scores(run_cli, mnist_dir, mnist_small,
                                                                 tmp_path):
    X, y, Xt, yt = mnist_small
    params = dict(SMALL, flip=False)
    metrics = tmp_path / "m.json"
    run_cli("run", "-q", "--data", mnist_dir, "--metrics", metrics, "--knn-k", "10", *LIMITS,
            *cli_options(params))
    pipe = Pipeline([("smt", smt.SparseManifoldTransform(**params)), ("knn", smt.KNNClassifier(k=10))])
    pipe.fit(X, y)
    assert pipe.score(Xt, yt) == pytest.approx(read_json(metrics)["top1"], abs=1e-12)
    assert read_json(metrics)["top1"] > 0.7  # far above chance: the features are real


def test_datasets_match_the_cli_subsets(run_cli, mnist_dir, cli_model, tmp_path):
    _, labels = embed(run_cli, mnist_dir, cli_model, tmp_path / "tr.npy", split="train")
    _, y = smt.datasets.load(mnist_dir, "train", limit=300, seed=0)
    np.testing.assert_array_equal(labels, y)
    X_all, y_all = smt.datasets.load_mnist(mnist_dir, "train")
    idx = smt.datasets.balanced_subset(y_all, 300, seed=0)
    np.testing.assert_array_equal(y_all[idx], y)
    assert np.bincount(y).tolist() == [30] * 10


def test_validation_split_matches_cli_validation(run_cli, mnist_dir, tmp_path):
    model = tmp_path / "v.smtm"
    run_cli("fit", "-q", "--data", mnist_dir, "--model", model, "--validation", "100",
            "--train-limit", "200", "--seed", "3", *cli_options(SMALL))
    _, held_labels = embed(run_cli, mnist_dir, model, tmp_path / "held.npy", split="test")
    _, fit_labels = embed(run_cli, mnist_dir, model, tmp_path / "fit.npy", split="train")
    X, y = smt.datasets.load_mnist(mnist_dir, "train")
    X_fit, X_val, y_fit, y_val = smt.datasets.train_validation_split(X, y, 100, seed=3)
    np.testing.assert_array_equal(y_val, held_labels)
    keep = smt.datasets.balanced_subset(y_fit, 200, seed=3)  # --train-limit after the hold-out
    np.testing.assert_array_equal(y_fit[keep], fit_labels)
    assert len(X_fit) + len(X_val) == len(X)
