"""The weighted cosine k-NN of the SMT papers (and of `smt run`/`smt eval`),
as a function and as a scikit-learn classifier."""

from dataclasses import dataclass
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from . import _params, _smt

_K = _params.get("knn_k")
_T = _params.get("knn_temperature")


@dataclass
class KnnResult:
    predictions: np.ndarray  # (n_test,) predicted labels
    top5: np.ndarray  # (n_test, 5) best-voted labels, -1 past the number of classes
    top1_accuracy: Optional[float]  # fractions in [0, 1]; None without test_labels
    top5_accuracy: Optional[float]


def knn_classify(
    train_features,
    train_labels,
    test_features,
    k=_K.default,
    temperature=_T.default,
    test_labels=None,
    threads=0,
):
    """Classifies each test row by its k most cosine-similar training rows, each
    voting exp(cos / temperature) for its label (ties: the smaller label), with
    the library's streaming k-NN: the same predictions as `smt eval` for the same
    features. Labels are 0-based class indices."""
    r = _smt.knn_classify(
        np.asarray(train_features),
        np.asarray(train_labels),
        np.asarray(test_features),
        _params.to_table_value(_K, k),
        _params.to_table_value(_T, temperature),
        None if test_labels is None else np.asarray(test_labels),
        int(threads),
    )
    return KnnResult(r["predictions"], r["top5"], r["top1_accuracy"], r["top5_accuracy"])


class KNNClassifier(ClassifierMixin, BaseEstimator):
    """knn_classify as a scikit-learn classifier (for a Pipeline after
    SparseManifoldTransform): fit keeps the training features, predict votes.
    Labels may be any sortable values; they are indexed in sorted order."""

    def __init__(self, k=_K.default, temperature=_T.default, threads=0):
        self.k = k
        self.temperature = temperature
        self.threads = threads

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ValueError(f"X: features must be (n_samples, n_features), got shape {X.shape}")
        self.classes_, encoded = np.unique(np.asarray(y), return_inverse=True)
        if len(encoded) != len(X):
            raise ValueError(f"y: {len(encoded)} labels for {len(X)} rows of X")
        self._train = X
        self._labels = encoded.astype(np.int64)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "classes_")
        r = knn_classify(self._train, self._labels, X, self.k, self.temperature, None, self.threads)
        return self.classes_[r.predictions]
