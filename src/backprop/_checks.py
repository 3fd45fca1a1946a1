"""Input validation shared by the package: every check raises ``ValueError`` saying what was
expected and what arrived, so that nothing broadcasts silently."""

from __future__ import annotations

import numpy as np


def as_batch(X, n_columns: int, name: str = "X") -> np.ndarray:
    """Return ``X`` as a float64 array of shape ``(m, n_columns)`` with ``m >= 1``, or raise.

    A 1-D array is refused rather than reshaped: the caller is told how to make it a batch.
    """
    X = np.asarray(X, dtype=np.float64)
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
        raise ValueError(
            f"{name} must have {n_columns} columns, shape (m, {n_columns}); got shape {X.shape}"
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf; expected finite values only")
    return X


def matching_targets(Y, m: int, n_outputs: int, name: str = "Y") -> np.ndarray:
    """Return ``Y`` as float64 of shape ``(m, n_outputs)``, or raise (labels need ``one_hot``)."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.shape != (m, n_outputs):
        hint = " (integer labels? encode them with backprop.one_hot first)" if Y.ndim == 1 else ""
        raise ValueError(f"{name} must have shape ({m}, {n_outputs}); got shape {Y.shape}{hint}")
    if not np.isfinite(Y).all():
        raise ValueError(f"{name} contains NaN or inf; expected finite values only")
    return Y


def choose(name, options, what: str):
    """Look ``name`` up in the dict ``options``; an unknown name lists the valid ones."""
    try:
        return options[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in options)
        raise ValueError(f"unknown {what} {name!r}; expected one of {valid}") from None
