"""scikit-learn protocol: clone, pipelines, grid search, pickling."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import smt
from conftest import synthetic_images

TINY = {"dict_size": 64, "dict_threshold": 0.8, "embed_dim": 6, "threads": 1, "flip": False}


@pytest.fixture(scope="module")
def data():
    return synthetic_images(80, side=12, seed=1)


def test_fit_transform_equals_fit_then_transform(data):
    X, _ = data
    a = smt.SparseManifoldTransform(**TINY).fit_transform(X)
    b = smt.SparseManifoldTransform(**TINY).fit(X).transform(X)
    assert a.dtype == np.float32 and a.shape == (len(X), a.shape[1])
    assert a.tobytes() == b.tobytes()


def test_fitted_attributes(data):
    X, _ = data
    est = smt.SparseManifoldTransform(**TINY).fit(X)
    assert est.image_shape_ == (12, 12) and est.n_features_in_ == 144
    assert est.dictionary_.shape == (64, 36)
    np.testing.assert_allclose(np.linalg.norm(est.dictionary_, axis=1), 1, atol=1e-5)
    assert est.projection_.shape == (6, 64) and est.eigenvalues_.shape == (6,)
    assert np.all(np.diff(est.eigenvalues_) >= 0)
    assert est.whitening_.shape == (36, 36)
    np.testing.assert_allclose(est.whitening_, est.whitening_.T, atol=1e-6)
    assert est.feature_dim_ == est.transform(X[:2]).shape[1]
    assert "coding" in est.fit_metrics_["seconds"]


def test_clone_of_a_fitted_estimator_is_unfitted(data):
    X, _ = data
    est = smt.SparseManifoldTransform(**TINY).fit(X)
    c = clone(est)
    assert c.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        c.transform(X)


def test_grid_search_over_a_pipeline(data):
    X, y = data
    pipe = Pipeline([("smt", smt.SparseManifoldTransform(**TINY)), ("knn", smt.KNNClassifier(k=5))])
    grid = GridSearchCV(pipe, {"smt__embed_dim": [4, 6], "knn__k": [3, 5]}, cv=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"smt__embed_dim", "knn__k"}
    assert grid.best_score_ > 0.6  # bars across vs down: easy


def test_pickle_round_trip_keeps_the_model(data):
    X, _ = data
    est = smt.SparseManifoldTransform(**TINY).fit(X)
    back = pickle.loads(pickle.dumps(est))
    assert back.get_params() == est.get_params()
    assert back.transform(X).tobytes() == est.transform(X).tobytes()
    np.testing.assert_array_equal(back.eigenvalues_, est.eigenvalues_)
    unfitted = pickle.loads(pickle.dumps(smt.SparseManifoldTransform(dict_size=99)))
    assert unfitted.dict_size == 99
    with pytest.raises(NotFittedError):
        unfitted.transform(X)


def test_save_load_round_trip(data, tmp_path):
    X, _ = data
    est = smt.SparseManifoldTransform(**TINY).fit(X)
    est.save(tmp_path / "m.smtm")
    # The file leaves the thread count out (the model is the same for any):
    # a loaded transformer uses all cores unless told otherwise.
    assert smt.SparseManifoldTransform.load(tmp_path / "m.smtm").threads == 0
    back = smt.SparseManifoldTransform.load(tmp_path / "m.smtm", threads=est.threads)
    assert back.get_params() == est.get_params()
    assert back.transform(X).tobytes() == est.transform(X).tobytes()
    assert [p.name for p in tmp_path.iterdir()] == ["m.smtm"]  # no temporary left behind


def test_load_of_a_damaged_file_raises_naming_it(data, tmp_path):
    X, _ = data
    path = tmp_path / "m.smtm"
    smt.SparseManifoldTransform(**TINY).fit(X).save(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(smt.Error, match="m.smtm"):
        smt.SparseManifoldTransform.load(path)


def test_verbose_callable_receives_progress_and_log_lines(data):
    X, _ = data
    events = []
    smt.SparseManifoldTransform(**TINY, verbose=lambda *e: events.append(e)).fit(X)
    kinds = {e[0] for e in events}
    assert {"log", "finished"} <= kinds
    assert any("coding training images" in e[1] for e in events)


def test_verbose_true_writes_to_stderr(data, capsys):
    X, _ = data
    smt.SparseManifoldTransform(**TINY, verbose=True).fit(X)
    err = capsys.readouterr().err
    assert "smt: " in err and "coding training images" in err


def test_an_exception_in_the_callback_stops_the_fit(data):
    X, _ = data

    def boom(event, *rest):
        if event == "progress" or event == "finished":
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        smt.SparseManifoldTransform(**TINY, verbose=boom).fit(X)


def test_the_callers_thread_settings_are_left_alone(data):
    # A fit with threads=1 must not leave OpenMP/OpenBLAS at one thread.
    X, _ = data
    a = smt.SparseManifoldTransform(**dict(TINY, threads=2)).fit(X).transform(X)
    b = smt.SparseManifoldTransform(**dict(TINY, threads=1)).fit(X).transform(X)
    assert a.tobytes() == b.tobytes()  # the thread count does not change the result


def test_concurrent_transforms_from_python_threads(data):
    from concurrent.futures import ThreadPoolExecutor

    X, _ = data
    est = smt.SparseManifoldTransform(**TINY).fit(X)
    want = est.transform(X).tobytes()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: est.transform(X).tobytes(), range(8)))
    assert all(g == want for g in got)
