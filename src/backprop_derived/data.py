"""The iris and digits data shipped with the package, one-hot targets, a stratified split and standardisation."""

from __future__ import annotations

import csv
import gzip
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike

from ._checks import fraction, labels, matrix, positive_int, seed_value

FEATURE_NAMES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
CLASS_NAMES = ("setosa", "versicolor", "virginica")


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's (Anderson's) iris data: 150 flowers, 50 of each species.

    Returns ``X`` of shape (150, 4), float64, in the order of ``FEATURE_NAMES`` (cm), and ``y`` of
    shape (150,), int, with 0 = setosa, 1 = versicolor, 2 = virginica. Read from a CSV inside the
    package: no network access.
    """
    text = resources.files("backprop_derived").joinpath("data/iris.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))[1:]
    X = np.array([[float(v) for v in row[:4]] for row in rows])
    y = np.array([CLASS_NAMES.index(row[4]) for row in rows])
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: 1797 images of the digits 0 to 9, about 180 of each.

    Returns ``X`` of shape (1797, 8, 8), float64, each pixel an integer count from 0 (no ink) to 16
    (a block all ink), and ``y`` of shape (1797,), int, the digit. The images are those scikit-learn ships as
    ``sklearn.datasets.load_digits`` (the test part of "Optical Recognition of Handwritten Digits" by
    E. Alpaydin and C. Kaynak, UCI Machine Learning Repository, 1998, doi:10.24432/C50P49, licensed
    CC BY 4.0): each 32x32 bitmap was cut into 4x4 blocks and the "on" (ink) pixels of each block
    counted.
    Read from a 54 KB gzipped CSV inside the package (credited in ``data/DIGITS.txt``): no network
    access and no scikit-learn needed.
    """
    raw = resources.files("backprop_derived").joinpath("data/digits.csv.gz").read_bytes()
    rows = [line.split(",") for line in gzip.decompress(raw).decode("ascii").splitlines() if not line.startswith("#")]
    values = np.array(rows, dtype=int)
    return values[:, :64].reshape(-1, 8, 8).astype(np.float64), values[:, 64]


def one_hot(y: ArrayLike, n_classes: int) -> np.ndarray:
    """Integer labels ``y`` (m,) to a one-hot float64 matrix (m, n_classes)."""
    n_classes = positive_int(n_classes, "n_classes")
    return np.eye(n_classes)[labels(y, n_classes)]


def train_test_split(
    X: ArrayLike, y: ArrayLike, test_fraction: float = 0.3, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stratified split: each class keeps its share in both parts.

    ``X`` (m, n) and ``y`` (m,) integer labels; returns ``X_train, X_test, y_train, y_test``. From
    each class, ``round(test_fraction * class size)`` rows, chosen by a generator seeded with
    ``seed``, go to the test part; both parts keep the original row order. A split that would leave
    a class with no row on one side is refused with ``ValueError``.
    """
    X = matrix(X, "X")
    y = labels(y, name="y")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (m, n) and y (m,) with the same m; got {X.shape} and {y.shape}")
    test_fraction = fraction(test_fraction, "test_fraction")
    rng = np.random.default_rng(seed_value(seed))
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        n_test = round(test_fraction * len(rows))
        if not 0 < n_test < len(rows):
            side = "test" if n_test == 0 else "training"
            raise ValueError(
                f"test_fraction={test_fraction} leaves class {c} ({len(rows)} rows) with no row in the {side} "
                f"part; expected a fraction that puts at least one row of every class on each side"
            )
        test[rng.choice(rows, size=n_test, replace=False)] = True
    return X[~test], X[test], y[~test], y[test]


def standardize(X_train: ArrayLike, *others: ArrayLike) -> np.ndarray | tuple[np.ndarray, ...]:
    """Centre and scale every column by the training rows' mean and standard deviation only.

    ``X_train`` (m, n) and each of ``others`` (k, n), all finite. Returns the scaled ``X_train``
    alone, or, when ``others`` are given, a tuple of it followed by each array scaled the same way,
    so no statistic of a test set leaks into training. A constant column is centred, not scaled.
    """
    X_train = matrix(X_train, "X_train")
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    out = [(X_train - mean) / std]
    for k, X in enumerate(others):
        X = matrix(X, f"others[{k}]")
        if X.shape[1] != X_train.shape[1]:
            raise ValueError(f"others[{k}] must have shape (m, {X_train.shape[1]}) like X_train; got {X.shape}")
        out.append((X - mean) / std)
    return tuple(out) if others else out[0]
