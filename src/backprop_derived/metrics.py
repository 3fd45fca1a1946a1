"""Accuracy and the confusion matrix for integer class labels."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import labels, positive_int


def _two_label_arrays(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None) -> tuple[np.ndarray, np.ndarray]:
    t = labels(y_true, n_classes, "y_true")
    p = labels(y_pred, n_classes, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape (m,); got {t.shape} and {p.shape}")
    return t, p


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """The fraction of rows whose predicted label equals the true one; both non-empty, shape (m,)."""
    t, p = _two_label_arrays(y_true, y_pred, None)
    return float(np.mean(t == p))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> np.ndarray:
    """Counts of shape (n_classes, n_classes): entry ``[t, p]`` is the rows of class t predicted as p.

    Labels are integers in ``0..n_classes-1``, both arrays non-empty and of shape (m,).
    """
    n_classes = positive_int(n_classes, "n_classes")
    t, p = _two_label_arrays(y_true, y_pred, n_classes)
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C
