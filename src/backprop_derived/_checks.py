"""Input validation shared by the package: the one home of every check.

Each check raises ``ValueError`` (``TypeError`` for a wrong type) that names the argument, says what
was expected and shows what arrived, so that nothing broadcasts or converts silently.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def _is_integer(value: object) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (``True`` is not a count of 1)."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1 (not a bool, not a float), or raise."""
    if not _is_integer(value):
        raise TypeError(f"{name} must be a positive integer; got {value!r} of type {type(value).__name__}")
    if value <= 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)  # type: ignore[call-overload]


def non_negative_int(value: object, name: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 0 (not a bool), or raise."""
    if not _is_integer(value):
        raise TypeError(f"{name} must be a non-negative integer; got {value!r} of type {type(value).__name__}")
    if value < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    return int(value)  # type: ignore[call-overload]


def seed_value(seed: object, name: str = "seed") -> int | None:
    """A seed for ``numpy.random.default_rng``: a non-negative integer, or ``None`` for fresh entropy."""
    if seed is None:
        return None
    if not _is_integer(seed):
        raise TypeError(f"{name} must be a non-negative integer (or None); got {seed!r} of type {type(seed).__name__}")
    if seed < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a non-negative integer (or None); got {seed!r}")
    return int(seed)  # type: ignore[call-overload]


def positive_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a real number, finite and > 0 (not a bool or a string), or raise."""
    if not isinstance(value, (numbers.Real, np.floating, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive finite number; got {value!r} of type {type(value).__name__}")
    x = float(value)
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return x


def fraction(value: object, name: str) -> float:
    """A real number strictly between 0 and 1, or raise."""
    if not isinstance(value, (numbers.Real, np.floating)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a number strictly between 0 and 1; got {value!r} of type {type(value).__name__}"
        )
    x = float(value)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}")
    return x


def float_array(x: object, name: str) -> np.ndarray:
    """``x`` as a float64 ndarray (lists and integer arrays are converted); non-numbers raise TypeError."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    if isinstance(x, (np.ndarray, np.generic)) and np.iscomplexobj(x):  # NumPy would drop the imaginary part
        raise TypeError(f"{name} must be an array of real numbers; got complex values")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of real numbers; got {type(x).__name__}: {err}") from None
    return arr


def finite(x: np.ndarray, name: str) -> np.ndarray:
    """Raise if ``x`` holds NaN or inf; return it unchanged otherwise."""
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf; expected finite values only")
    return x


def matrix(x: object, name: str) -> np.ndarray:
    """A finite float64 array of shape ``(m, n)`` with ``m >= 1``, or raise."""
    X = float_array(x, name)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (m, n), one observation per row; got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {X.shape}); expected at least one row")
    return finite(X, name)


def as_batch(X: object, n_columns: int, name: str = "X") -> np.ndarray:
    """Return ``X`` as a float64 array of shape ``(m, n_columns)`` with ``m >= 1``, or raise.

    A 1-D array is refused rather than reshaped: the caller is told how to make it a batch.
    """
    X = float_array(X, name)
    if X.ndim == 1:
        raise ValueError(
            f"{name} must be a 2-D batch of shape (m, {n_columns}), one observation per row; "
            f"got a 1-D array of shape {X.shape}. For a single observation x use "
            f"x.reshape(1, -1)."
        )
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (m, {n_columns}); got {X.ndim}-D shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {X.shape}); expected at least one row")
    if X.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, shape (m, {n_columns}); got shape {X.shape}")
    return finite(X, name)


def matching_targets(Y: object, m: int, n_outputs: int, name: str = "Y") -> np.ndarray:
    """Return ``Y`` as float64 of shape ``(m, n_outputs)``, or raise (labels need ``one_hot``)."""
    Y = float_array(Y, name)
    if Y.shape != (m, n_outputs):
        hint = " (integer labels? encode them with backprop_derived.one_hot first)" if Y.ndim == 1 else ""
        raise ValueError(f"{name} must have shape ({m}, {n_outputs}); got shape {Y.shape}{hint}")
    return finite(Y, name)


def rows_sum_to_one(Y: np.ndarray, name: str, why: str) -> np.ndarray:
    """Raise unless every row of ``Y`` (m, n) adds up to 1 (to 1e-9); ``why`` says what needs it."""
    sums = Y.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
    if bad.size:
        shown = ", ".join(f"row {r}: {sums[r]:.6g}" for r in bad[:3])
        raise ValueError(f"each row of {name} must sum to 1 ({why}); got {shown}")
    return Y


# The targets a cost can be given: "distribution" rows (cross-entropy: each row is a probability
# distribution over the classes), "probabilities" (binary cross-entropy: each entry is the probability
# of a yes), or None (squared error: any finite number).
TARGET_KINDS = ("distribution", "probabilities", None)


def targets(Y: np.ndarray, kind: str | None, cost: str, name: str = "Y") -> np.ndarray:
    """Raise unless the finite float64 targets ``Y`` (m, n) are of ``kind`` for the cost named ``cost``.

    A label of 2 or -1, or a row like ``[2, -1, 0]`` (it sums to 1 but is no distribution), would be
    costed, trained on (a negative loss) and gradient-checked without a word; they are refused here.
    """
    if kind is None:
        return Y
    outside = (Y < 0.0) | (Y > 1.0)
    if outside.any():
        r, c = np.argwhere(outside)[0]
        what = "a probability distribution per row" if kind == "distribution" else "a probability per entry"
        raise ValueError(
            f"{name} for {cost} must hold values in [0, 1] ({what}); got {Y[r, c]:g} at row {r}, column {c}"
        )
    if kind == "distribution":
        rows_sum_to_one(Y, name, f"{cost} needs a probability distribution per row")
    return Y


def activation_name(name: object, inherited: bool) -> str:
    """The ``name`` an activation registers under: a non-empty identifier of its own, or raise."""
    if inherited:
        raise ValueError(
            f"activation has no name of its own (it inherits {name!r}); set the class attribute name = '...'"
        )
    if not isinstance(name, str):
        raise TypeError(
            f"activation name must be a str such as 'leaky_relu'; got {name!r} of type {type(name).__name__}"
        )
    if not name.isidentifier():
        raise ValueError(f"activation name must be a non-empty identifier such as 'leaky_relu'; got {name!r}")
    return name


def role_set(value: object, allowed: frozenset[str], name: str = "roles") -> frozenset[str]:
    """A non-empty ``set``/``frozenset`` of role names, each one of ``allowed``, or raise.

    A list or a string is refused rather than converted: ``frozenset("hidden")`` is six letters.
    """
    options = " and ".join(map(repr, sorted(allowed)))
    if not isinstance(value, (set, frozenset)):
        raise TypeError(f"{name} must be a frozenset of {options}, such as frozenset({{'hidden'}}); got {value!r}")
    unknown = sorted(map(repr, value - allowed))
    if not value or unknown:
        got = f"unknown {', '.join(unknown)}" if unknown else "an empty set"
        raise ValueError(f"{name} must be a non-empty subset of {{{options.replace(' and ', ', ')}}}; got {got}")
    return frozenset(value)


def labels(y: object, n_classes: int | None = None, name: str = "y", allow_empty: bool = False) -> np.ndarray:
    """Integer class labels as an int64 array of shape ``(m,)``, each in ``0..n_classes-1``, or raise.

    Floats are accepted only when they hold whole numbers (``2.0``); negative labels, fractions, NaN,
    strings and an empty array (unless ``allow_empty``) are refused.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer labels, shape (m,); got shape {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.int64)
        raise ValueError(f"{name} is empty; expected at least one label")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must hold integer labels; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            raise ValueError(f"{name} must hold whole-number labels; got {arr[~whole][:5].tolist()}")
        arr = arr.astype(np.int64)
    upper = f"{n_classes - 1}" if n_classes is not None else "n_classes - 1"
    bad = (arr < 0) | (arr >= n_classes) if n_classes is not None else (arr < 0)
    if np.any(bad):
        raise ValueError(f"{name} must hold labels in 0..{upper}; got {sorted(set(arr[bad].tolist()))[:5]}")
    return arr.astype(np.int64)


def choose(name: object, options: Mapping[str, T], what: str) -> T:
    """Look ``name`` up in the mapping ``options``; an unknown name lists the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a name (str), one of {', '.join(map(repr, options))}; got {name!r}")
    try:
        return options[name]
    except KeyError:
        valid = ", ".join(repr(k) for k in options)
        raise ValueError(f"unknown {what} {name!r}; expected one of {valid}") from None


__all__ = [
    "TARGET_KINDS",
    "activation_name",
    "as_batch",
    "choose",
    "finite",
    "float_array",
    "fraction",
    "labels",
    "matching_targets",
    "matrix",
    "non_negative_int",
    "positive_int",
    "positive_number",
    "role_set",
    "seed_value",
    "targets",
]
