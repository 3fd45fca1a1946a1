"""Exercises on the calculus itself: the total derivative with a direct term, and the central
difference that checks every gradient of the site."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..jacobians import numerical_jacobian
from ._base import Case, Exercise, Mistake


# chain_rule_direct_term ---------------------------------------------------------------------------
def _chain_rule_direct_term(t: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.tanh(t @ W.T + b)
    return x + (t * (1 - x**2)) @ W  # direct term (x held fixed) + the path through x


def _chain_rule_cases() -> list[Case]:
    cases = []
    for seed, n in zip((13, 14, 15), (3, 4, 5)):
        rng = np.random.default_rng(seed)
        inputs = {"t": rng.normal(size=n), "W": rng.normal(size=(n, n)) / np.sqrt(n), "b": rng.normal(size=n)}
        cases.append(Case(f"n={n}, seed {seed}", inputs))
    return cases


def _chain_rule_numeric(case: Case) -> tuple[np.ndarray, ...]:
    W, b = case.inputs["W"], case.inputs["b"]
    f = lambda t: np.sum(t * np.tanh(t @ W.T + b))  # noqa: E731 - f(t, x(t))
    return (numerical_jacobian(f, case.inputs["t"])[0],)


CHAIN_RULE_DIRECT_TERM = Exercise(
    name="chain_rule_direct_term",
    statement="The gradient of f(t, x(t)) = sum(t * x), x = tanh(t W^T + b): the direct term plus the path through x.",
    page="total-derivative.md#exercises",
    params=("t", "W", "b"),
    outputs=("grad",),
    docstring="""Return the gradient of the composite t -> f(t, x(t)), f(t, x) = sum_i t_i x_i, x = tanh(t W^T + b).

    f depends on t directly and through x. Entry j of the gradient is the total derivative of the
    one-variable composite got by moving t_j alone: the same sum over paths as exercise 2 under
    "Exercises" (f = t x, x = e^t), with vectors in place of numbers.

    t: (n,) the variable
    W: (n, n) weights, b: (n,) biases, so that x = tanh(t W^T + b) has shape (n,)
    returns grad: (n,) the direct term, the partial derivative (partial f / partial t) with x held fixed,
                  plus the path term, the row (partial f / partial x) times the (n, n) Jacobian of x in t""",
    equation='the sum over paths with its direct term (exercise 2 under "Exercises", here with a vector t)',
    reference=_chain_rule_direct_term,
    numeric=_chain_rule_numeric,
    cases=_chain_rule_cases,
    mistakes=(
        Mistake(
            "grad",
            "a path is missing: the direct term, the partial of f in t with x held fixed, which is x; "
            "yours has only the path through x",
            lambda t, W, b: (t * (1 - np.tanh(t @ W.T + b) ** 2)) @ W,
        ),
        Mistake(
            "grad",
            "a path is missing: the path t -> x -> f, (t * (1 - x^2)) W; yours has only the direct term x",
            lambda t, W, b: np.tanh(t @ W.T + b),
        ),
        Mistake(
            "grad",
            "transposed: the path term used W^T where W belongs (dx/dt = diag(1 - x^2) W, "
            "with W of shape (outputs, inputs))",
            lambda t, W, b: np.tanh(t @ W.T + b) + (t * (1 - np.tanh(t @ W.T + b) ** 2)) @ W.T,
        ),
        Mistake(
            "grad",
            "tanh' evaluated at x = tanh(u) instead of at u = t W^T + b: it is 1 - x^2",
            lambda t, W, b: np.tanh(t @ W.T + b) + (t * (1 - np.tanh(np.tanh(t @ W.T + b)) ** 2)) @ W,
        ),
    ),
)


# central_difference ---------------------------------------------------------------------------------
class _Scalar:
    """f(x) = sum(c * sin(x)) + (sum(d * x))^2 / 4, a scalar function with every entry coupled."""

    def __init__(self, c: np.ndarray, d: np.ndarray) -> None:
        self.c, self.d = c, d

    def __call__(self, x: np.ndarray) -> float:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self.c.shape:
            raise ValueError(f"f expects x of shape {self.c.shape}; got shape {x.shape}")
        return float(np.sum(self.c * np.sin(x)) + np.sum(self.d * x) ** 2 / 4)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self.c * np.cos(x) + np.sum(self.d * x) * self.d / 2

    def __repr__(self) -> str:
        return f"<scalar function of an array of shape {self.c.shape}>"


def _central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def _unit_steps(f: Callable[[np.ndarray], float], x: np.ndarray, h: float, one_sided: bool) -> np.ndarray:
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x)) / h if one_sided else (f(x + e) - f(x - e)) / h
    return grad


def _central_difference_cases() -> list[Case]:
    cases = []
    for seed, shape in zip((16, 17, 18), ((4,), (2, 3), (5,))):
        rng = np.random.default_rng(seed)
        f = _Scalar(rng.normal(size=shape), rng.normal(size=shape))
        cases.append(
            Case(f"x of shape {shape}, h = 1e-4, seed {seed}", {"f": f, "x": rng.normal(size=shape), "h": 1e-4})
        )
    return cases


def _central_difference_numeric(case: Case) -> tuple[np.ndarray, ...]:
    # The oracle here is the closed-form gradient of f: the central difference is what is being written.
    return (case.inputs["f"].gradient(case.inputs["x"]),)


CENTRAL_DIFFERENCE = Exercise(
    name="central_difference",
    statement="Gradient checking: the gradient of a scalar function by central differences, one entry at a time.",
    page="gradient-checking.md#central-differences",
    params=("f", "x", "h"),
    outputs=("grad",),
    docstring="""Return the gradient of the scalar function f at x by central differences.

    f: a function of one array of x's shape, returning a float
    x: an array of any shape (do not change it: leave it as it came)
    h: the step, a small positive float
    returns grad: an array of x's shape; entry i approximates df/dx_i by
         (f(x + h e_i) - f(x - h e_i)) / (2h), e_i the array with a 1 at entry i and 0 elsewhere""",
    equation='the central difference displayed under "Central differences"',
    oracle="the closed-form gradient of f",
    reference=_central_difference,
    numeric=_central_difference_numeric,
    cases=_central_difference_cases,
    mistakes=(
        Mistake(
            "grad",
            "a one-sided (forward) difference (f(x + h e_i) - f(x)) / h: its error is of order h; "
            "the central difference (f(x + h e_i) - f(x - h e_i)) / (2h) cancels that term",
            lambda f, x, h: _unit_steps(f, x, h, one_sided=True),
        ),
        Mistake(
            "grad",
            "off by a factor 2: divided by h, but f(x + h e_i) and f(x - h e_i) are 2h apart",
            lambda f, x, h: _unit_steps(f, x, h, one_sided=False),
        ),
        Mistake(
            "grad",
            "every entry moved at once: (f(x + h) - f(x - h)) / (2h) with all of x shifted is the "
            "derivative along (1, 1, ...), the sum of the partials; move one entry at a time (x + h e_i)",
            lambda f, x, h: np.full_like(x, (f(x + h) - f(x - h)) / (2 * h)),
        ),
    ),
)
