"""Exercises on normalisation layers: batch norm (statistics over the batch, axis 0) and layer norm
(statistics over the features of each row, axis 1)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._base import Arrays3, Case, Exercise, Mistake, vjp_numeric


def _normalise(X: np.ndarray, eps: float, axis: int) -> tuple[np.ndarray, np.ndarray]:
    mu = X.mean(axis=axis, keepdims=True)
    std = np.sqrt(X.var(axis=axis, keepdims=True) + eps)  # the biased variance, as both layers use
    return (X - mu) / std, std


def _forward(axis: int) -> Callable[..., np.ndarray]:
    def forward(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        return gamma * _normalise(X, eps, axis)[0] + beta

    return forward


def _dX(
    G: np.ndarray,
    X: np.ndarray,
    gamma: np.ndarray,
    eps: float,
    axis: int,
    mean_path: bool = True,
    variance_path: bool = True,
) -> np.ndarray:
    """dC/dX through x_hat = (X - mu) / std, with either path through the statistics optionally left out."""
    xhat, std = _normalise(X, eps, axis)
    dxhat = G * gamma
    out = dxhat.copy()
    if mean_path:  # X -> mu -> every x_hat of the same group
        out -= dxhat.mean(axis=axis, keepdims=True)
    if variance_path:  # X -> variance -> every x_hat of the same group
        out -= xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
    return out / std


def _norm_cases(seeds: tuple[int, ...], shapes: tuple[tuple[int, int], ...]) -> list[Case]:
    cases = []
    for seed, (m, n) in zip(seeds, shapes):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(m, n)) * rng.uniform(0.5, 3, size=n) + rng.normal(size=n)
        inputs = {"G": rng.normal(size=(m, n)), "X": X, "gamma": rng.uniform(0.5, 2, size=n), "eps": 1e-5}
        cases.append(
            Case(
                f"m={m}, n={n}, seed {seed}",
                inputs,
                {"beta": rng.normal(size=n)},
                {"m": (m, "the batch size m"), "n": (n, "the number of features n")},
            )
        )
    return cases


def _numeric(axis: int) -> Callable[[Case], tuple[np.ndarray, ...]]:
    def numeric(case: Case) -> tuple[np.ndarray, ...]:
        at = {k: case.inputs[k] for k in ("X", "gamma", "eps")} | {"beta": case.hidden["beta"]}
        return vjp_numeric(_forward(axis), case.inputs["G"], at, ("X", "gamma", "beta"))

    return numeric


def _batchnorm(G: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float) -> Arrays3:
    xhat, _ = _normalise(X, eps, 0)
    return _dX(G, X, gamma, eps, 0), (G * xhat).sum(axis=0), G.sum(axis=0)


def _layernorm(G: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float) -> Arrays3:
    xhat, _ = _normalise(X, eps, 1)
    return _dX(G, X, gamma, eps, 1), (G * xhat).sum(axis=0), G.sum(axis=0)


def _statistics_mistakes(axis: int, group: str, mean: str, statistics: str) -> tuple[Mistake, ...]:
    """The paths through the statistics, dropped one or both at a time: the same three mistakes for
    batch norm (statistics over the column, ``axis`` 0) and layer norm (over the row, ``axis`` 1)."""
    return (
        Mistake(
            "dX",
            f"a path is missing: the mean path. Each x also moves its {group}'s {mean}, which moves every "
            f"x_hat of the {group}: it adds -mean(dC/dx_hat) / std",
            lambda G, X, gamma, eps: _dX(G, X, gamma, eps, axis, mean_path=False),
        ),
        Mistake(
            "dX",
            f"a path is missing: the variance path. Each x also moves its {group}'s variance, which "
            f"rescales every x_hat of the {group}: it adds -x_hat * mean(dC/dx_hat * x_hat) / std",
            lambda G, X, gamma, eps: _dX(G, X, gamma, eps, axis, variance_path=False),
        ),
        Mistake(
            "dX",
            f"the mean and the variance were treated as constants: both paths through {statistics} "
            "are missing, leaving dC/dx_hat / std",
            lambda G, X, gamma, eps: _dX(G, X, gamma, eps, axis, mean_path=False, variance_path=False),
        ),
    )


def _parameter_mistakes(axis: int, axis_note: str = "") -> tuple[Mistake, ...]:
    """The mistakes in dgamma and dbeta, the same for batch norm and layer norm: both parameters sum
    over the batch (axis 0) whichever ``axis`` the statistics are taken over."""
    return (
        Mistake(
            "dgamma",
            "dgamma needs x_hat: dC/dgamma_j = sum_r dC/dY[r, j] * x_hat[r, j]",
            lambda G, X, gamma, eps: G.sum(axis=0),
        ),
        Mistake(
            "dgamma",
            "wrong axis summed: dgamma sums over the batch (axis 0), one entry per feature" + axis_note,
            lambda G, X, gamma, eps: (G * _normalise(X, eps, axis)[0]).sum(axis=1),
        ),
        Mistake(
            "dbeta",
            "off by a factor m = {m}: a mean over the batch where the sum belongs",
            lambda G, X, gamma, eps: G.mean(axis=0),
        ),
        Mistake(
            "dbeta",
            "wrong axis summed: dbeta sums over the batch (axis 0), one entry per feature",
            lambda G, X, gamma, eps: G.sum(axis=1),
        ),
    )


_SHAPES = """G: (m, n) dC/dY, the gradient arriving at the layer's output
    X: (m, n) the layer's input, one row per observation
    gamma: (n,) the scale; eps: the float added to the variance
    returns dX: (m, n), dgamma: (n,), dbeta: (n,)"""

BATCHNORM_BACKWARD = Exercise(
    name="batchnorm_backward",
    statement="Batch normalisation's backward pass: dX through the batch's mean and variance, dgamma and dbeta.",
    page="beyond/batch-norm.md#result",
    params=("G", "X", "gamma", "eps"),
    outputs=("dX", "dgamma", "dbeta"),
    docstring=f"""Return (dX, dgamma, dbeta) for batch normalisation in training mode.

    Forward: mu = X.mean(axis=0), var = X.var(axis=0) (over the batch, 1/m),
    x_hat = (X - mu) / sqrt(var + eps), Y = gamma * x_hat + beta.

    {_SHAPES}""",
    equation='(BN4), under "The result in matrix form"',
    reference=_batchnorm,
    numeric=_numeric(0),
    cases=lambda: _norm_cases((19, 20, 21), ((5, 3), (4, 6), (8, 2))),
    mistakes=(
        *_statistics_mistakes(0, "column", "mean mu", "the batch statistics"),
        Mistake(
            "dX",
            "wrong axis: the statistics were taken over axis 1 (the features of each row), which is "
            "layer normalisation; batch normalisation averages over axis 0, the batch",
            lambda G, X, gamma, eps: _dX(G, X, gamma, eps, 1),
        ),
        Mistake(
            "dX",
            "the factor gamma is missing: dC/dx_hat = dC/dY * gamma",
            lambda G, X, gamma, eps: _dX(G, X, np.ones_like(gamma), eps, 0),
        ),
        *_parameter_mistakes(0),
    ),
)

LAYERNORM_BACKWARD = Exercise(
    name="layernorm_backward",
    statement="Layer normalisation's backward pass: dX through each row's mean and variance, dgamma and dbeta.",
    page="beyond/layer-norm.md#result",
    params=("G", "X", "gamma", "eps"),
    outputs=("dX", "dgamma", "dbeta"),
    docstring=f"""Return (dX, dgamma, dbeta) for layer normalisation.

    Forward: mu = X.mean(axis=1), var = X.var(axis=1) (over the n features of each row, 1/n),
    x_hat = (X - mu) / sqrt(var + eps) row by row, Y = gamma * x_hat + beta.

    {_SHAPES}""",
    equation='(LN3), under "The result in matrix form"',
    reference=_layernorm,
    numeric=_numeric(1),
    cases=lambda: _norm_cases((22, 23, 24), ((3, 5), (6, 4), (2, 7))),
    mistakes=(
        *_statistics_mistakes(1, "row", "mean", "the row's statistics"),
        Mistake(
            "dX",
            "wrong axis: the statistics were taken over axis 0 (the batch), which is batch "
            "normalisation; layer normalisation averages over axis 1, the features of each row",
            lambda G, X, gamma, eps: _dX(G, X, gamma, eps, 0),
        ),
        *_parameter_mistakes(1, ", even though the statistics are per row"),
    ),
)
