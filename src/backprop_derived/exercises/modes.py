"""Exercises on the two other products of the chain rule: a Jacobian-vector product (forward mode)
and a Hessian-vector product (second derivatives)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..jacobians import numerical_jacobian
from ._base import Case, Exercise, Mistake


# jvp_dense ---------------------------------------------------------------------------------------------
def _two_layers(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return np.tanh(x @ W1.T + b1) @ W2.T + b2


def _jvp(
    x: np.ndarray, v: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, mistake: str = ""
) -> np.ndarray:
    z = x @ W1.T + b1
    a = np.tanh(z)
    dz = v @ W1.T + (b1 if mistake == "bias" else 0.0)  # the tangent of z: biases are constants
    da = {"": dz * (1 - a**2), "bias": dz * (1 - a**2), "no_derivative": dz, "at_z": dz * (1 - z**2)}[mistake]
    return da @ W2.T + (b2 if mistake == "bias" else 0.0)


def _jvp_dense(
    x: np.ndarray, v: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    return _jvp(x, v, W1, b1, W2, b2)


def _jvp_cases() -> list[Case]:
    cases = []
    for seed, (m, n0, n1, n2) in zip((37, 38, 39), ((3, 4, 5, 2), (1, 3, 3, 3), (5, 2, 4, 3))):
        rng = np.random.default_rng(seed)
        inputs = {
            "x": rng.normal(size=(m, n0)),
            "v": rng.normal(size=(m, n0)),
            "W1": rng.normal(size=(n1, n0)) / np.sqrt(n0),
            "b1": rng.normal(size=n1),
            "W2": rng.normal(size=(n2, n1)) / np.sqrt(n1),
            "b2": rng.normal(size=n2),
        }
        cases.append(Case(f"m={m}, sizes {n0}-{n1}-{n2}, seed {seed}", inputs, {}, {"m": (m, "the batch size m")}))
    return cases


def _jvp_numeric(case: Case) -> tuple[np.ndarray, ...]:
    # The derivative of s -> f(x + s v) at s = 0, one central difference per row: forward mode's definition.
    x, v = case.inputs["x"], case.inputs["v"]
    params = {k: case.inputs[k] for k in ("W1", "b1", "W2", "b2")}
    out = numerical_jacobian(lambda s: _two_layers(x + s[0] * v, **params), np.zeros(1))
    return (out.reshape(x.shape[0], -1),)


def _jvp_mistake(kind: str) -> Callable[..., np.ndarray]:
    return lambda x, v, W1, b1, W2, b2: _jvp(x, v, W1, b1, W2, b2, mistake=kind)


JVP_DENSE = Exercise(
    name="jvp_dense",
    statement="Forward mode: the Jacobian-vector product of a two-layer tanh network, carried forward with x.",
    page="autodiff/forward-reverse.md#exercises",
    params=("x", "v", "W1", "b1", "W2", "b2"),
    outputs=("y_dot",),
    docstring="""Return the Jacobian-vector product J v of f(x) = tanh(x W1^T + b1) W2^T + b2, row by row.

    Row r of the result is the derivative of f(x[r] + s v[r]) with respect to s at s = 0:
    how the output moves when the input moves along v. Carry the tangent forward with the values.

    x: (m, n0) inputs, v: (m, n0) the tangent (direction) for each row
    W1: (n1, n0), b1: (n1,), W2: (n2, n1), b2: (n2,)
    returns y_dot: (m, n2)""",
    equation='the forward-mode pass of exercise 2 under "Exercises"',
    reference=_jvp_dense,
    numeric=_jvp_numeric,
    cases=_jvp_cases,
    mistakes=(
        Mistake(
            "y_dot",
            "the biases entered the tangent: a constant's derivative is 0, so the tangent of z = x W1^T + b1 is v W1^T",
            _jvp_mistake("bias"),
        ),
        Mistake(
            "y_dot",
            "the factor tanh'(z) = 1 - a^2 is missing from the tangent of a = tanh(z)",
            _jvp_mistake("no_derivative"),
        ),
        Mistake(
            "y_dot",
            "tanh' evaluated as 1 - z^2 with the pre-activation z: it is 1 - tanh(z)^2 = 1 - a^2",
            _jvp_mistake("at_z"),
        ),
    ),
)


# hvp_quadratic ----------------------------------------------------------------------------------------
def _hvp_quadratic(A: np.ndarray, b: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (A + A.T) @ v / 2


def _hvp_cases() -> list[Case]:
    cases = []
    for seed, n in zip((40, 41, 42), (3, 4, 6)):
        rng = np.random.default_rng(seed)
        inputs = {
            "A": rng.normal(size=(n, n)),
            "b": rng.normal(size=n),
            "w": rng.normal(size=n),
            "v": rng.normal(size=n),
        }
        cases.append(Case(f"n={n}, seed {seed}", inputs))
    return cases


def _hvp_numeric(case: Case) -> tuple[np.ndarray, ...]:
    # The gradient by central differences, then its change along v by another central difference.
    A, b, w, v = (case.inputs[k] for k in ("A", "b", "w", "v"))
    C = lambda w_: 0.5 * w_ @ A @ w_ + b @ w_  # noqa: E731 - the quadratic cost
    grad = lambda w_: numerical_jacobian(C, w_, h=1e-3)[0]  # noqa: E731 - exact for a quadratic, up to round-off
    return (numerical_jacobian(lambda s: grad(w + s[0] * v), np.zeros(1), h=1e-3)[:, 0],)


HVP_QUADRATIC = Exercise(
    name="hvp_quadratic",
    statement="Second derivatives: the Hessian-vector product of C(w) = w^T A w / 2 + b^T w, A not symmetric.",
    page="autodiff/second-derivatives.md#exercises",
    params=("A", "b", "w", "v"),
    outputs=("Hv",),
    docstring="""Return the Hessian-vector product of C(w) = (1/2) w^T A w + b^T w at w, along v.

    The Hessian H has entries d^2 C / (dw_i dw_j); return H v, shape (n,).
    A is a general square matrix: it is not symmetric.

    A: (n, n), b: (n,), w: (n,) the point, v: (n,) the direction
    returns H v: (n,)""",
    equation='the Hessian-vector product of exercise 1 under "Exercises"',
    reference=_hvp_quadratic,
    numeric=_hvp_numeric,
    cases=_hvp_cases,
    mistakes=(
        Mistake(
            "Hv",
            "A used as the Hessian: the Hessian of (1/2) w^T A w is the symmetric part (A + A^T) / 2, "
            "and this A is not symmetric",
            lambda A, b, w, v: v @ A,
        ),
        Mistake(
            "Hv",
            "A used as the Hessian: the Hessian of (1/2) w^T A w is the symmetric part (A + A^T) / 2, "
            "and this A is not symmetric",
            lambda A, b, w, v: A @ v,
        ),
        Mistake(
            "Hv",
            "off by a factor 2: the 1/2 of (1/2) w^T A w is lost; the Hessian is (A + A^T) / 2",
            lambda A, b, w, v: v @ (A + A.T),
        ),
        Mistake(
            "Hv",
            "this is the gradient at w, (A + A^T) w / 2 + b, not the Hessian-vector product: "
            "for a quadratic, H v depends on neither w nor b",
            lambda A, b, w, v: w @ (A + A.T) / 2 + b,
        ),
    ),
)
