"""Dataset loaders: every format the command line reads, as (X, y) NumPy arrays
with the command line's seeded class-balanced subsets.

X is uint8, (n, h, w) for grayscale or (n, h, w, 3) for RGB; y is int64. With
limit > 0 the same images as ``--train-limit``/``--test-limit`` with that seed
are kept, in their original order (an image folder decodes only those files).
"""

from . import _smt


def _xy(result, return_class_names):
    X, y, names = result
    return (X, y, names) if return_class_names else (X, y)


def load(path, split="train", limit=0, seed=0, cifar100_coarse=False, return_class_names=False):
    """A split of the dataset in `path`, its format detected as `smt run --data`
    does: MNIST IDX (raw or .gz), CIFAR-10 or CIFAR-100 binary, or an image
    folder path/train/<class>/*, path/test/<class>/*."""
    return _xy(_smt.load_split(str(path), split, limit, seed, cifar100_coarse), return_class_names)


def load_mnist(path, split="train", limit=0, seed=0):
    """MNIST IDX files (raw or .gz, the standard names) in `path` or `path`/mnist."""
    return _xy(_smt.load_format("mnist", str(path), split, limit, seed), False)


def load_cifar10(path, split="train", limit=0, seed=0, return_class_names=False):
    """CIFAR-10 binary batches in `path` or `path`/cifar-10-batches-bin."""
    return _xy(_smt.load_format("cifar10", str(path), split, limit, seed), return_class_names)


def load_cifar100(path, split="train", limit=0, seed=0, coarse=False, return_class_names=False):
    """CIFAR-100 binary train.bin/test.bin; coarse=True: the 20 superclasses."""
    return _xy(
        _smt.load_format("cifar100", str(path), split, limit, seed, coarse), return_class_names
    )


def load_image_folder(path, split="train", limit=0, seed=0, return_class_names=False, resize=0):
    """An image folder path/<split>/<class>/* (PNG or JPEG). Without resize all
    images must have one size; resize=S scales each image's shorter side to S
    (antialiased bilinear) and crops the centre S x S, as ``--resize S``."""
    return _xy(_smt.load_format("image_folder", str(path), split, limit, seed, resize=resize),
               return_class_names)


def balanced_subset(y, n, seed=0):
    """Indices (ascending) of the seeded class-balanced n images that
    ``--train-limit n`` keeps of a set with labels y."""
    return _smt.balanced_subset(y, n, seed)


def train_validation_split(X, y, n, seed=0):
    """(X_fit, X_val, y_fit, y_val): the n images ``--validation n`` holds out
    (seeded, class-balanced), both parts in their original order."""
    fit, val = _smt.hold_out_indices(y, n, seed)
    return X[fit], X[val], y[fit], y[val]
