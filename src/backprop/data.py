"""The iris data shipped with the package, one-hot targets, a stratified split and standardisation."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np

FEATURE_NAMES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
CLASS_NAMES = ("setosa", "versicolor", "virginica")


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's (Anderson's) iris data: 150 flowers, 50 of each species.

    Returns ``X`` of shape (150, 4), float64, in the order of ``FEATURE_NAMES`` (cm), and ``y`` of
    shape (150,), int, with 0 = setosa, 1 = versicolor, 2 = virginica. Read from a CSV inside the
    package: no network access.
    """
    text = resources.files("backprop").joinpath("data/iris.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))[1:]
    X = np.array([[float(v) for v in row[:4]] for row in rows])
    y = np.array([CLASS_NAMES.index(row[4]) for row in rows])
    return X, y


def _labels(y, n_classes: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer labels, shape (m,); got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"{name} must hold integer labels 0..{n_classes - 1}; got dtype {y.dtype}")
        y = y.astype(np.int64)
    bad = (y < 0) | (y >= n_classes)
    if np.any(bad):
        raise ValueError(
            f"{name} must hold labels in 0..{n_classes - 1}; got {sorted(set(y[bad].tolist()))[:5]}"
        )
    return y.astype(np.int64)


def one_hot(y, n_classes: int) -> np.ndarray:
    """Integer labels ``y`` (m,) to a one-hot float64 matrix (m, n_classes)."""
    if not (isinstance(n_classes, (int, np.integer)) and n_classes > 0):
        raise ValueError(f"n_classes must be a positive integer; got {n_classes!r}")
    y = _labels(y, n_classes)
    return np.eye(n_classes)[y]


def train_test_split(X, y, test_fraction: float = 0.3, seed: int = 0):
    """A stratified split: each class keeps its share in both parts.

    ``X`` (m, n) and ``y`` (m,); returns ``X_train, X_test, y_train, y_test``. From each class,
    ``round(test_fraction * class size)`` rows, chosen by a generator seeded with ``seed``, go to the
    test part; both parts keep the original row order.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (m, n) and y (m,) with the same m; got {X.shape} and {y.shape}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        test[rng.choice(rows, size=int(round(test_fraction * len(rows))), replace=False)] = True
    return X[~test], X[test], y[~test], y[test]


def standardize(X_train, *others):
    """Centre and scale every column by the training rows' mean and standard deviation only.

    Returns the scaled ``X_train`` followed by each array in ``others`` scaled the same way, so no
    statistic of a test set leaks into training.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    out = [(X_train - mean) / std]
    for X in others:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != X_train.shape[1]:
            raise ValueError(f"expected shape (m, {X_train.shape[1]}); got {X.shape}")
        out.append((X - mean) / std)
    return tuple(out) if others else out[0]
