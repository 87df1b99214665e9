"""The keyword arguments are the C++ table's, with its defaults and bounds."""

import inspect

import pytest
from sklearn.base import clone

import smt
from conftest import synthetic_images
from smt import _smt


def test_every_model_and_exec_parameter_is_a_keyword_with_the_table_default():
    sig = inspect.signature(smt.SparseManifoldTransform)
    table = [p for p in smt.parameters() if p.scope in ("model", "exec")]
    assert len(table) > 20
    for p in table:
        assert p.name in sig.parameters, p.name
        assert sig.parameters[p.name].default == p.default, p.name
        assert p.name.replace("_", "-") == p.table_name
    # Dataset-file and k-NN parameters belong to the CLI and KNNClassifier.
    for name in ("train_limit", "test_limit", "validation", "memory_limit", "knn_k"):
        assert name not in sig.parameters
    est = smt.SparseManifoldTransform()
    assert est.dict_size == 8192 and est.flip is True and est.operator == "two"
    assert "dict_size" in smt.SparseManifoldTransform.__doc__


def test_defaults_are_the_cli_defaults():
    import json

    resolved = json.loads(_smt.check_params("{}"))
    for p in smt.parameters():
        assert resolved[p.table_name] == p.default, p.name


def test_get_set_params_round_trip_and_clone():
    est = smt.SparseManifoldTransform(dict_size=512, threshold=1.0, operator="one", verbose=True)
    params = est.get_params()
    assert params["dict_size"] == 512 and params["operator"] == "one" and params["verbose"] is True
    other = smt.SparseManifoldTransform().set_params(**params)
    assert other.get_params() == params
    c = clone(est)
    assert c is not est and c.get_params() == params


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"dict_size": 1}, "dict_size"),
        ({"threshold": float("nan")}, "threshold"),
        ({"patch_size": 0}, "patch_size"),
        ({"operator": "three"}, "operator"),
        ({"embed_dim": 300, "dict_size": 256}, "embed_dim"),
        ({"dict_size": "big"}, "dict_size"),
        ({"flip": "yes please"}, "flip"),
        ({"whiten_tol": -1.0}, "whiten_tol"),
    ],
)
def test_bad_parameters_raise_value_error_naming_the_parameter(kwargs, name):
    X, _ = synthetic_images(20)
    with pytest.raises(ValueError, match=name):
        smt.SparseManifoldTransform(**kwargs).fit(X)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="unknown parameter.*dict_sise"):
        smt.SparseManifoldTransform(dict_sise=3)
    with pytest.raises(TypeError, match="knn_k is a k-NN parameter: give it to smt.KNNClassifier"):
        smt.SparseManifoldTransform(knn_k=10)
    with pytest.raises(TypeError, match="train_limit is a CLI dataset-file parameter"):
        smt.SparseManifoldTransform(train_limit=10)
