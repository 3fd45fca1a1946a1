"""Accuracy and the confusion matrix for integer class labels."""

from __future__ import annotations

import numpy as np


def accuracy(y_true, y_pred) -> float:
    """The fraction of rows whose predicted label equals the true one; both shape (m,)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"expected two label arrays of the same shape (m,); got {y_true.shape} and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts of shape (n_classes, n_classes): entry ``[t, p]`` is the rows of class t predicted as p."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"expected two label arrays of the same shape (m,); got {y_true.shape} and {y_pred.shape}")
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C
