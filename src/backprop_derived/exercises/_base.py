"""What an exercise is: a statement, a page, a function to write, a reference, cases and known mistakes.

Every exercise is written in NumPy here, independently of the engine in ``backprop_derived.autodiff``:
a forward function, the reference backward pass, an oracle by central differences of that forward
function, and the realistic mistakes whose numbers the grader recognises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Three arrays, as a backward pass with three gradients returns them.
Arrays3 = tuple[np.ndarray, np.ndarray, np.ndarray]

#: The published site; a page path ``x/y.md`` is served at ``SITE_URL + "x/y/"``.
SITE_URL = "https://backprop-derived.github.io/backprop-derived/"


@dataclass(frozen=True)
class Case:
    """One graded call: the arguments the reader's function receives, and what the oracles need.

    ``inputs`` are passed by keyword; ``hidden`` holds values the reader never sees (the logits
    behind a softmax output, parameters of the forward pass); ``factors`` names the sizes a wrong
    answer may be off by, ``{"m": (4, "the batch size m")}``.
    """

    label: str
    inputs: Mapping[str, Any]
    hidden: Mapping[str, Any] = field(default_factory=dict)
    factors: Mapping[str, tuple[float, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer for one output: ``compute(**inputs)`` gives its numbers."""

    output: str
    diagnosis: str  # may name factors of the case, e.g. "{m}"
    compute: Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    name: str
    statement: str  # one line, for `list`
    page: str  # "autodiff/vjp.md#the-softmax-vjp-without-its-jacobian"
    params: tuple[str, ...]  # the function's arguments, in order
    outputs: tuple[str, ...]  # names of the returned arrays; one name: a single array is returned
    docstring: str  # the template's docstring: what to return and every shape
    reference: Callable[..., Any]
    numeric: Callable[[Case], tuple[np.ndarray, ...]]  # central differences of the forward function
    cases: Callable[[], list[Case]]
    mistakes: tuple[Mistake, ...] = ()
    equation: str = ""  # which equation of the page the function computes, for the template
    oracle: str = "central differences"  # what ``numeric`` computes, as the report names it

    @property
    def function(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        path, _, anchor = self.page.partition("#")
        url = SITE_URL + path.removesuffix(".md") + "/"
        return url + "#" + anchor if anchor else url

    def expected(self, case: Case) -> tuple[np.ndarray, ...]:
        return as_outputs(self.reference(**case.inputs), len(self.outputs))


def as_outputs(result: Any, n: int) -> tuple[np.ndarray, ...]:
    """The reference's result as a tuple of float arrays (a single array when ``n == 1``)."""
    if n == 1:
        return (np.asarray(result, dtype=np.float64),)
    return tuple(np.asarray(r, dtype=np.float64) for r in result)


def vjp_numeric(
    forward: Callable[..., np.ndarray],
    upstream: np.ndarray,
    at: Mapping[str, np.ndarray],
    wrt: tuple[str, ...],
    h: float = 1e-6,
) -> tuple[np.ndarray, ...]:
    """Central differences of ``sum(upstream * forward(**at))`` with respect to each name in ``wrt``.

    That scalar's gradient with respect to an input is the vector-Jacobian product the backward
    pass computes, so this is the oracle for every VJP exercise.
    """
    from ..jacobians import numerical_jacobian

    grads = []
    for name in wrt:

        def scalar(x: np.ndarray, name: str = name) -> float:
            return float(np.sum(upstream * forward(**{**at, name: x})))

        x = np.asarray(at[name], dtype=np.float64)
        grads.append(numerical_jacobian(scalar, x, h=h).reshape(x.shape))
    return tuple(grads)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a 2-D array (the package's Softmax activation)."""
    from ..activations import get_activation

    return get_activation("softmax").value(z)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Random entries with |x| in [low, high]: a ReLU's kink is then out of reach of any finite difference."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)
