"""The C++ parameter table, read once at import: names, defaults, bounds, help
and scope come from src/core/config.cpp and are not declared again here."""

import json
import math
import numbers
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from . import _smt


@dataclass(frozen=True)
class Parameter:
    name: str  # keyword argument (dict_size)
    table_name: str  # table / command-line / JSON name (dict-size)
    type: str  # "int", "float", "bool", "choice"
    default: Any
    min: Optional[float]
    max: Optional[float]
    choices: Tuple[str, ...]
    scope: str  # "model", "eval", "exec", "run"
    description: str
    help: str


def _load():
    out = []
    for p in _smt.param_table():
        out.append(
            Parameter(
                name=p["name"],
                table_name=p["table_name"],
                type=p["type"],
                default=json.loads(p["default_json"]),
                min=p["min"],
                max=p["max"],
                choices=tuple(p["choices"]),
                scope=p["scope"],
                description=p["description"],
                help=p["help"],
            )
        )
    return tuple(out)


_TABLE = _load()
_BY_NAME = {p.name: p for p in _TABLE}


def parameters(scope=None):
    """The parameters of the C++ table (all, or those of one scope: "model",
    "eval", "exec" or "run"), in table order."""
    return [p for p in _TABLE if scope is None or p.scope == scope]


def get(name):
    return _BY_NAME[name]


def to_table_value(p, value):
    """A Python value as the JSON the table checks; ValueError naming the
    parameter for a value of the wrong type (bounds are checked in C++)."""
    if p.type == "bool":
        if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
            return bool(value)
    elif p.type == "int":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return int(value)
    elif p.type == "float":
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
            raise ValueError(f"{p.name} = {value!r}: must be a finite number ({p.help})")
    elif p.type == "choice":
        if isinstance(value, str):
            return value
    else:  # pragma: no cover - a new type in the table
        raise TypeError(f"parameter {p.name}: unknown type {p.type}")
    expected = {
        "bool": "True or False",
        "int": "an integer",
        "float": "a number",
        "choice": "one of " + ", ".join(repr(c) for c in p.choices),
    }[p.type]
    raise ValueError(f"{p.name} = {value!r}: expected {expected} ({p.help})")


def to_json(values):
    """{keyword name: value} as the JSON object text the C++ table reads."""
    return json.dumps({get(k).table_name: to_table_value(get(k), v) for k, v in values.items()})
