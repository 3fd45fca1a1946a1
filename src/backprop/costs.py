"""Costs ``C`` averaged over the ``m`` observations of a batch, and their gradients ``dC/dA``.

``A`` is the network output and ``Y`` the targets, both of shape ``(m, n_outputs)``.

* cross_entropy: ``C = -(1/m) sum_rows sum_k y_k log a_k``. A predicted probability of exactly 0 is
  clipped to the smallest positive float64 before the log, so the cost stays finite (about 708 per
  observation at worst). With a softmax output the network avoids the clip altogether and uses
  log-softmax of ``z``.
* squared_error: ``C = (1/m) sum_rows 1/2 sum_k (a_k - y_k)^2``.
"""

from __future__ import annotations

import numpy as np

from ._checks import choose

_TINY = np.finfo(np.float64).tiny


class Cost:
    name = "cost"

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        """The mean cost over the rows of ``A`` and ``Y`` (both ``(m, n)``)."""
        raise NotImplementedError

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``dC/dA``, shape ``(m, n)``; row ``r`` is observation ``r``'s share, already divided by ``m``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<cost {self.name}>"


class CrossEntropy(Cost):
    name = "cross_entropy"

    def value(self, A, Y):
        return float(-np.sum(Y * np.log(np.clip(A, _TINY, None))) / A.shape[0])

    def gradient(self, A, Y):
        return -Y / np.clip(A, _TINY, None) / A.shape[0]


class SquaredError(Cost):
    name = "squared_error"

    def value(self, A, Y):
        return float(0.5 * np.sum((A - Y) ** 2) / A.shape[0])

    def gradient(self, A, Y):
        return (A - Y) / A.shape[0]


COSTS = {"cross_entropy": CrossEntropy(), "squared_error": SquaredError()}


def get_cost(name: str) -> Cost:
    """The cost called ``name``: ``cross_entropy`` or ``squared_error``."""
    return choose(name, COSTS, "cost")
