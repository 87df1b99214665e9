"""smt: the Sparse Manifold Transform (Chen, Paiton & Olshausen 2018; Chen, Yun, Ma,
Olshausen & LeCun 2023) for NumPy and scikit-learn, over the C++ library.

    import smt
    X, y = smt.datasets.load("data/mnist", split="train", limit=2000)
    est = smt.SparseManifoldTransform(dict_size=1024, embed_dim=32)
    features = est.fit(X).transform(X)            # float32, (n, est.feature_dim_)

Every parameter of the C++ table is a keyword argument of SparseManifoldTransform
(see ``help(smt.SparseManifoldTransform)`` or ``smt.parameters()``); models are
the files ``smt fit`` writes and ``smt embed`` reads.
"""

from ._smt import Error, __version__
from ._params import parameters
from .estimator import SparseManifoldTransform
from .knn import KNNClassifier, KnnResult, knn_classify
from . import datasets

__all__ = [
    "Error",
    "KNNClassifier",
    "KnnResult",
    "SparseManifoldTransform",
    "__version__",
    "datasets",
    "knn_classify",
    "parameters",
]
