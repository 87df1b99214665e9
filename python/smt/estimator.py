"""SparseManifoldTransform: a scikit-learn transformer over the C++ estimator."""

import inspect
import json

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _params, _progress, _smt

# Parameters of the fit and transform themselves: those a model keeps and
# those of its execution (seed, threads, batch size). The k-NN's are
# KNNClassifier's; the dataset-file ones (train_limit, ...) belong to the CLI.
_ESTIMATOR_SCOPES = ("model", "exec")
_ESTIMATOR_PARAMS = tuple(p for p in _params.parameters() if p.scope in _ESTIMATOR_SCOPES)
_FRONT_END = {"verbose": False}  # not in the C++ table: how this front end reports


def _as_images(X):
    # An ndarray is passed as it is (any strides: the C++ side reads them);
    # anything else becomes one.
    return X if isinstance(X, np.ndarray) else np.asarray(X)


class SparseManifoldTransform(TransformerMixin, BaseEstimator):
    # __init__'s signature and the docstring's parameter list are generated
    # from the C++ table below the class.

    def __init__(self, **params):
        unknown = set(params) - {p.name for p in _ESTIMATOR_PARAMS} - set(_FRONT_END)
        if unknown:
            elsewhere = {p.name: p.scope for p in _params.parameters() if p.name in unknown}
            where = {
                "eval": "a k-NN parameter: give it to smt.KNNClassifier or smt.knn_classify",
                "run": "a CLI dataset-file parameter: use smt.datasets (limit=, "
                "balanced_subset, train_validation_split) instead",
            }
            reasons = [f"{n} is {where[elsewhere[n]]}" for n in sorted(elsewhere)]
            others = sorted(unknown - set(elsewhere))
            if others:
                reasons.append("unknown parameter(s) " + ", ".join(others)
                               + "; smt.parameters('model') and ('exec') list the valid ones")
            raise TypeError("SparseManifoldTransform: " + "; ".join(reasons))
        for p in _ESTIMATOR_PARAMS:
            setattr(self, p.name, params.get(p.name, p.default))
        for name, default in _FRONT_END.items():
            setattr(self, name, params.get(name, default))

    # -- parameters --------------------------------------------------------
    def _params_json(self):
        return _params.to_json({p.name: getattr(self, p.name) for p in _ESTIMATOR_PARAMS})

    def _callback(self):
        return _progress.callback_for(self.verbose)

    # -- fit / transform ---------------------------------------------------
    def fit(self, X, y=None):
        """Fits whitening, dictionary, the slowness statistics and the embedding
        on images X: uint8 (0..255) or float (0..1), shape (n, h, w) or
        (n, h, w, c), any strides. y (optional class labels) is only stored
        in the model, as the CLI does; the fit is unsupervised."""
        X = _as_images(X)
        est = _smt.Estimator(self._params_json())  # validates: smt.Error names the parameter
        est.fit(X, None if y is None else np.asarray(y), self._callback())
        self._adopt(est, X.shape[1:])
        return self

    def transform(self, X):
        """Features of images X: float32, (n, feature_dim_), the same bytes
        as `smt embed` writes for the same model and images."""
        check_is_fitted(self, "feature_dim_")
        return self._estimator.transform(_as_images(X), self._callback())

    # -- what a fit produced -------------------------------------------------
    def _adopt(self, est, input_shape=None):
        self._estimator = est
        h, w, c = est.image_shape
        self.image_shape_ = tuple(input_shape) if input_shape is not None else (h, w, c)
        self.n_features_in_ = int(np.prod(self.image_shape_))
        self.feature_dim_ = est.feature_dim
        self.eigenvalues_ = est.eigenvalues
        self.fit_metrics_ = json.loads(est.fit_metrics_json)

    @property
    def dictionary_(self):
        """The atoms, (dict_size, patch values), unit length, in whitened space."""
        check_is_fitted(self, "feature_dim_")
        return self._estimator.dictionary

    @property
    def projection_(self):
        """P, (embed_dim, dict_size): beta = P alpha for a patch's sparse code alpha."""
        check_is_fitted(self, "feature_dim_")
        return self._estimator.projection

    @property
    def whitening_(self):
        """W = (Sigma + whiten_tol I)^(-1/2), (patch values, patch values)."""
        check_is_fitted(self, "feature_dim_")
        return self._estimator.whitening

    # -- files and pickling ----------------------------------------------
    def save(self, path):
        """Writes the model file `smt fit` writes and `smt embed` reads (atomically)."""
        check_is_fitted(self, "feature_dim_")
        self._estimator.save(str(path))

    @classmethod
    def load(cls, path, **front_end):
        """A fitted transformer from a model file (`smt fit`'s or save()'s)."""
        est = _smt.Estimator.load(str(path))
        return cls._from_estimator(est, **front_end)

    @classmethod
    def _from_estimator(cls, est, **front_end):
        config = json.loads(est.config_json)
        kwargs = {p.name: config[p.table_name] for p in _ESTIMATOR_PARAMS}
        kwargs.update(front_end)
        obj = cls(**kwargs)
        obj._adopt(est)
        return obj


def _signature():
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for p in _ESTIMATOR_PARAMS:
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default))
    for name, default in _FRONT_END.items():
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default))
    return inspect.Signature(params)


def _docstring():
    lines = [
        "The Sparse Manifold Transform as a scikit-learn transformer.",
        "",
        "Images in (uint8, or float in [0, 1]; (n, h, w) or (n, h, w, c)), pooled",
        "SMT features out (float32, (n, feature_dim_)). The C++ library does the work",
        "with the GIL released; Ctrl-C stops a fit within about a second.",
        "",
        "Parameters (from the C++ table; bounds are checked at fit)",
        "----------",
    ]
    for p in _ESTIMATOR_PARAMS:
        kind = p.type if p.type != "choice" else "{" + ", ".join(p.choices) + "}"
        bounds = f" in [{p.min:g}, {p.max:g}]" if p.min is not None else ""
        lines.append(f"{p.name} : {kind}{bounds}, default={p.default!r}")
        lines.append(f"    {p.description} ({p.scope} parameter)")
    lines += [
        "verbose : bool or callable, default=False",
        "    True: progress and log lines on sys.stderr; a callable receives",
        "    (event, what, done, total, seconds) with event 'log', 'progress' or 'finished'.",
        "",
        "Attributes (after fit or load)",
        "----------",
        "feature_dim_, image_shape_, n_features_in_, dictionary_, projection_, whitening_,",
        "eigenvalues_ (the embed_dim kept generalized eigenvalues of L u = lambda V u, ascending;",
        "the skipped ones are in fit_metrics_['fit']['eigenvalues']), fit_metrics_ (stage",
        "seconds and sizes, as in the CLI's metrics JSON).",
    ]
    return "\n".join(lines)


SparseManifoldTransform.__init__.__signature__ = _signature()
SparseManifoldTransform.__doc__ = _docstring()
