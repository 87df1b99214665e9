"""knn_classify is the library's streaming k-NN; checked against a plain
NumPy implementation of the same rule."""

import numpy as np
import pytest

import smt


def reference_knn(train, labels, test, k, temperature, num_classes):
    a = train / np.linalg.norm(train, axis=1, keepdims=True)
    b = test / np.linalg.norm(test, axis=1, keepdims=True)
    sims = b.astype(np.float64) @ a.T.astype(np.float64)
    preds = []
    for row in sims:
        order = np.lexsort((np.arange(len(row)), -row))[:k]  # ties: smaller index first
        votes = np.zeros(num_classes)
        for j in order:
            votes[labels[j]] += np.exp(row[j] / temperature)
        preds.append(int(np.argmax(votes)))  # ties: smaller label
    return np.array(preds)


def test_knn_classify_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(4, 16))
    labels = rng.integers(0, 4, size=300)
    train = centers[labels] + 0.8 * rng.normal(size=(300, 16))
    test_labels = rng.integers(0, 4, size=120)
    test = centers[test_labels] + 0.8 * rng.normal(size=(120, 16))
    r = smt.knn_classify(train.astype(np.float32), labels, test.astype(np.float32), k=7,
                         temperature=0.1, test_labels=test_labels)
    ref = reference_knn(train.astype(np.float32), labels, test.astype(np.float32), 7, 0.1, 4)
    np.testing.assert_array_equal(r.predictions, ref)
    assert r.top1_accuracy == pytest.approx(np.mean(ref == test_labels))
    assert np.all(r.top5[:, 0] == r.predictions) and np.all(r.top5[:, 4] == -1)
    assert r.top5_accuracy == 1.0  # four classes: the true one is always among the top five
    unlabelled = smt.knn_classify(train.astype(np.float32), labels, test.astype(np.float32),
                                  k=7, temperature=0.1)
    assert unlabelled.top1_accuracy is None
    np.testing.assert_array_equal(unlabelled.predictions, r.predictions)


def test_knn_classifier_maps_arbitrary_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "pos", "neg")
    clf = smt.KNNClassifier(k=3).fit(X, y)
    assert set(clf.predict(X)) <= {"pos", "neg"} and clf.score(X, y) > 0.9


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k": 0}, "knn_k"),
        ({"temperature": 0.0}, "knn_temperature"),
        ({"test_features": np.zeros((3, 4), np.float32)}, "test_features: 4 features per row"),
        ({"train_labels": np.zeros(5, np.int64)}, "train_labels: labels must be one per image"),
        ({"train_features": np.zeros((10,), np.float32)}, "train_features: an array of 1"),
    ],
)
def test_bad_knn_arguments(kwargs, match):
    args = dict(
        train_features=np.ones((10, 3), np.float32),
        train_labels=np.zeros(10, np.int64),
        test_features=np.ones((2, 3), np.float32),
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        smt.knn_classify(**args)


def test_non_finite_features_are_refused():
    train = np.ones((10, 3), np.float32)
    train[2, 1] = np.nan
    with pytest.raises(ValueError):
        smt.knn_classify(train, np.zeros(10, np.int64), np.ones((2, 3), np.float32))
