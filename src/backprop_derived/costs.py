"""Costs ``C`` averaged over the ``m`` observations of a batch, and their gradients ``dC/dA``.

``A`` is the network output and ``Y`` the targets, both of shape ``(m, n_outputs)``.

* cross_entropy (softmax outputs only): ``C = -(1/m) sum_rows sum_k y_k log a_k``. A predicted
  probability of exactly 0 is clipped to the smallest positive normal float64 (about 2.2e-308)
  before the log, so the cost stays finite (about 708 per observation at worst). From the logits ``z`` the network uses
  log-softmax instead and needs no clip.
* binary_cross_entropy (sigmoid outputs only): each output is its own yes/no probability,
  ``C = -(1/m) sum_rows sum_k [y_k log a_k + (1 - y_k) log(1 - a_k)]``; from the logits,
  ``log a = -softplus(-z)`` and ``log(1 - a) = -softplus(z)``.
* squared_error (any output): ``C = (1/m) sum_rows 1/2 sum_k (a_k - y_k)^2``.

A cost owns its pairing rule: ``outputs`` names the output activations it is valid with (``None``
for any). A cost that pairs with one output activation also owns the fused path from the logits:
``value_from_logits(z, Y)``, and ``output_delta(A, Y) = (a_L - y) / m``, which is what
``dC/da_L (d a_L / d z_L)`` collapses to for both cross-entropies when the targets are of the kind
each accepts (and checks): for cross-entropy each row of ``Y`` a probability distribution, for
binary cross-entropy each entry of ``Y`` in [0, 1].
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._checks import choose, finite, float_array, targets
from .activations import log_softmax

_TINY = np.finfo(np.float64).tiny


def _pair(A: object, Y: object, a: str = "A") -> tuple[np.ndarray, np.ndarray]:
    """``A`` (named ``a`` in errors) and ``Y`` as float64 arrays of the same shape ``(m, n)``, ``m >= 1``,
    with finite targets, or raise."""
    A, Y = float_array(A, a), float_array(Y, "Y")
    if A.ndim != 2 or A.shape != Y.shape or A.shape[0] == 0:
        raise ValueError(f"{a} and Y must be arrays of the same shape (m, n) with m >= 1; got {A.shape} and {Y.shape}")
    return A, finite(Y, "Y")


def _softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0.0, x)


class Cost:
    """A cost: ``value(A, Y)`` (a float) and ``gradient(A, Y) = dC/dA`` (shape ``(m, n)``)."""

    name: ClassVar[str] = "cost"
    #: The output activations this cost is valid with, or ``None`` for every output activation.
    outputs: ClassVar[tuple[str, ...] | None] = None
    #: The targets the cost is defined for: "distribution" (each row a probability distribution),
    #: "probabilities" (each entry in [0, 1]) or None (any finite number); see ``_checks.targets``.
    target_kind: ClassVar[str | None] = None

    def check_targets(self, Y: np.ndarray, name: str = "Y") -> np.ndarray:
        """Raise unless the float64 targets ``Y`` (m, n) are valid for this cost; return them."""
        return targets(finite(Y, name), self.target_kind, repr(self.name), name)

    def _checked(self, A: object, Y: object, a: str = "A") -> tuple[np.ndarray, np.ndarray]:
        A, Y = _pair(A, Y, a)
        return A, self.check_targets(Y)

    def value(self, A: object, Y: object) -> float:
        """The mean cost over the rows of ``A`` and ``Y`` (both ``(m, n)``)."""
        return self._value(*self._checked(A, Y))

    def gradient(self, A: object, Y: object) -> np.ndarray:
        """``dC/dA``, shape ``(m, n)``; row ``r`` is observation ``r``'s share, already divided by ``m``."""
        return self._gradient(*self._checked(A, Y))

    def _value(self, A: np.ndarray, Y: np.ndarray) -> float:
        raise NotImplementedError

    def _gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def fused(self) -> bool:
        """True when the cost has a fused path from the logits (it pairs with one output activation)."""
        return type(self)._value_from_logits is not Cost._value_from_logits

    def value_from_logits(self, z: object, Y: object) -> float:
        """The cost computed stably from the output layer's ``z`` (m, n); only for fused costs."""
        return self._value_from_logits(*self._checked(z, Y, "z"))

    def output_delta(self, A: object, Y: object) -> np.ndarray:
        """``delta_L = dC/dz_L`` of the mean cost, shape ``(m, n)``: the batch's Delta_L of the
        glossary (row r is observation r's delta_L / m); for the fused costs ``(a_L - y) / m``."""
        return self._output_delta(*self._checked(A, Y))

    def _value_from_logits(self, z: np.ndarray, Y: np.ndarray) -> float:
        raise NotImplementedError(f"cost {self.name!r} has no fused path from the logits")

    def _output_delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"cost {self.name!r} has no fused output delta")

    def check_output(self, output: str) -> None:
        """Raise ``ValueError`` naming the valid pairings if this cost does not pair with ``output``."""
        if self.outputs is not None and output not in self.outputs:
            raise ValueError(f"cost {self.name!r} is not valid with output {output!r}; valid pairings: {pairings()}")

    def __repr__(self) -> str:
        return f"<cost {self.name}>"


class CrossEntropy(Cost):
    name = "cross_entropy"
    outputs = ("softmax",)
    # (a_L - y) / m collapses sum_k y_k (delta_kc - a_c) using sum_k y_k = 1, and the cost is a
    # cross-entropy only between distributions: other rows are refused.
    target_kind = "distribution"

    def _value(self, A: np.ndarray, Y: np.ndarray) -> float:
        return float(-np.sum(Y * np.log(np.clip(A, _TINY, None))) / A.shape[0])

    def _gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return -Y / np.clip(A, _TINY, None) / A.shape[0]

    def _value_from_logits(self, z: np.ndarray, Y: np.ndarray) -> float:
        return float(-np.sum(Y * log_softmax(z)) / z.shape[0])

    def _output_delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        delta = A - Y
        delta /= A.shape[0]
        return delta


class BinaryCrossEntropy(Cost):
    name = "binary_cross_entropy"
    outputs = ("sigmoid",)
    target_kind = "probabilities"

    def _value(self, A: np.ndarray, Y: np.ndarray) -> float:
        log_a = np.log(np.clip(A, _TINY, None))
        log_1ma = np.log(np.clip(1.0 - A, _TINY, None))
        return float(-np.sum(Y * log_a + (1.0 - Y) * log_1ma) / A.shape[0])

    def _gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return (-Y / np.clip(A, _TINY, None) + (1.0 - Y) / np.clip(1.0 - A, _TINY, None)) / A.shape[0]

    def _value_from_logits(self, z: np.ndarray, Y: np.ndarray) -> float:
        # log a = -softplus(-z), log(1 - a) = -softplus(z): finite even where a rounds to 0 or 1.
        return float(np.sum(Y * _softplus(-z) + (1.0 - Y) * _softplus(z)) / z.shape[0])

    def _output_delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        delta = A - Y
        delta /= A.shape[0]
        return delta


class SquaredError(Cost):
    name = "squared_error"

    def _value(self, A: np.ndarray, Y: np.ndarray) -> float:
        return float(0.5 * np.sum((A - Y) ** 2) / A.shape[0])

    def _gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return (A - Y) / A.shape[0]


COSTS: dict[str, Cost] = {c.name: c for c in (CrossEntropy(), BinaryCrossEntropy(), SquaredError())}


def pairings() -> str:
    """The valid cost/output pairings as one readable string, for error messages."""
    parts = []
    for cost in COSTS.values():
        parts.append(
            f"{cost.name!r} with " + ("any output" if cost.outputs is None else " or ".join(map(repr, cost.outputs)))
        )
    return "; ".join(parts)


def get_cost(name: str) -> Cost:
    """The cost called ``name``: ``cross_entropy``, ``binary_cross_entropy`` or ``squared_error``."""
    return choose(name, COSTS, "cost")
