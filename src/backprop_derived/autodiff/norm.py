"""Batch normalisation and layer normalisation: one normalisation, along the rows or along a row.

Both take ``X`` of shape ``(m, n)``, one observation per row, and a scale ``gamma`` and shift ``beta``
of shape ``(n,)``. With ``axis`` the axis the statistics are taken over (0 for a batch norm's column
statistics, 1 for a layer norm's row statistics), the forward pass is

    mu = mean(X),  var = mean((X - mu)**2),  s = sqrt(var + eps),  Xhat = (X - mu) / s,
    Y = gamma * Xhat + beta,

and its VJP is the compact result derived on the site's batch-norm page, equation (BN4):

    dC/dX = (G_hat - mean(G_hat) - Xhat * mean(G_hat * Xhat)) / s,   G_hat = dC/dY * gamma,

(the page's G is dC/dY itself, and G_hat = G * gamma),

every mean over the same axis as the statistics. For a batch norm that axis runs over the rows, so
each observation's gradient depends on every other row of the batch; for a layer norm it runs
within a row, and rows stay independent.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._checks import positive_number
from .core import Operation, Tensor, constant


class _Normalise(Operation):
    """``gamma * (X - mean) / sqrt(var + eps) + beta`` with the statistics along ``axis``."""

    axis: ClassVar[int]

    def __init__(self, eps: float):
        self.eps = eps

    def value(self, X, gamma, beta):
        mu = X.mean(axis=self.axis, keepdims=True)
        var = ((X - mu) ** 2).mean(axis=self.axis, keepdims=True)  # biased (1/count), as in training
        self.s = np.sqrt(var + self.eps)
        self.Xhat = (X - mu) / self.s
        return gamma * self.Xhat + beta

    def jvp(self, dX, dgamma, dbeta):
        # dXhat = (dX - mean(dX) - Xhat mean(Xhat dX)) / s: the tangent of the mean and of the variance
        Xhat, s, gamma = self.Xhat, self.s, self.input_data[1]
        dXhat = (
            dX - dX.mean(axis=self.axis, keepdims=True) - Xhat * (Xhat * dX).mean(axis=self.axis, keepdims=True)
        ) / s
        return gamma * dXhat + dgamma * Xhat + dbeta

    def _statistics(self) -> tuple[Tensor, Tensor]:
        """``Xhat`` and ``s`` for the VJP; recomputed with engine operations when ``X`` carries a tangent,
        so that forward mode can run through the backward pass (``hvp``)."""
        X = self.inputs[0]
        if X.tangent is None:
            return constant(self.Xhat), constant(self.s)
        centred = X - X.mean(axis=self.axis, keepdims=True)
        s = ((centred * centred).mean(axis=self.axis, keepdims=True) + self.eps).sqrt()
        return centred / s, s

    def vjp(self, g, i):
        Xhat, s = self._statistics()
        if i == 0:  # the three paths from x to C (direct, via the mean, via the variance), summed: (BN4)
            G_hat = g * self.inputs[1]
            return (
                G_hat
                - G_hat.mean(axis=self.axis, keepdims=True)
                - Xhat * (G_hat * Xhat).mean(axis=self.axis, keepdims=True)
            ) / s
        if i == 1:  # gamma is shared by the m rows: their contributions add up
            return (g * Xhat).sum(axis=0)
        return g.sum(axis=0)


class BatchNorm(_Normalise):
    """Batch normalisation in training mode: each column standardised by its batch statistics."""

    name = "batch_norm"
    axis = 0


class LayerNorm(_Normalise):
    """Layer normalisation: each row standardised by its own statistics."""

    name = "layer_norm"
    axis = 1


def _check(X: object, gamma: object, beta: object, eps: object, op: str) -> float:
    for name, t in (("X", X), ("gamma", gamma), ("beta", beta)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor; got {type(t).__name__}")
    assert isinstance(X, Tensor) and isinstance(gamma, Tensor) and isinstance(beta, Tensor)
    if X.ndim != 2 or X.shape[0] == 0:
        least = 2 if op == "batch_norm" else 1  # a batch norm of one row is refused below, with the reason
        raise ValueError(
            f"{op}: X must have shape (m, n) with m >= {least}, one observation per row; got shape {X.shape}"
        )
    n = X.shape[1]
    for name, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != (n,):
            raise ValueError(f"{op}: {name} must have shape (n,) = ({n},), one entry per column of X; got {t.shape}")
    return positive_number(eps, "eps")


def _normalised(
    op: type[_Normalise], X: Tensor, gamma: Tensor, beta: Tensor, eps: object, group: str, why: str
) -> Tensor:
    """``op`` applied after the checks both layers share; a group of one entry along ``op.axis``
    (``group``, e.g. "columns") is refused, saying ``why``: it equals its mean, so nothing is learnt."""
    eps = _check(X, gamma, beta, eps, op.name)
    if X.shape[op.axis] < 2:
        raise ValueError(f"{op.name}: X must have at least 2 {group}; got shape {X.shape}: {why}")
    return op(eps)(X, gamma, beta)


def batch_norm(X: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """Batch normalisation with training-mode statistics: ``gamma * (X - mu) / sqrt(var + eps) + beta``.

    Parameters
    ----------
    X : Tensor of shape (m, n)
        A batch, one observation per row; ``m >= 2``.
    gamma, beta : Tensor of shape (n,)
        Scale and shift, one per column.
    eps : float
        A positive number added to the variance, as in PyTorch (default ``1e-5``).

    Returns
    -------
    Tensor of shape (m, n)
        ``mu`` and ``var`` are the mean and the biased variance (divided by ``m``) of each column over
        the batch. Its VJP is the site's equation (BN4); its JVP is the same derivation forwards.

    Raises ``ValueError`` for shapes that do not match, for ``eps <= 0`` and for a batch of one row,
    whose normalised value is 0 whatever the input (nothing to learn from, and a zero gradient).
    """
    why = (
        "with one row every column equals its mean, so the output is beta whatever X is "
        "(use running statistics to normalise one row)"
    )
    return _normalised(BatchNorm, X, gamma, beta, eps, "rows in training mode", why)


def layer_norm(X: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """Layer normalisation: each row standardised by its own mean and biased variance, then scaled and shifted.

    Parameters
    ----------
    X : Tensor of shape (m, n)
        One observation per row, ``n >= 2`` entries each.
    gamma, beta : Tensor of shape (n,)
        Scale and shift, one per column, shared by every row.
    eps : float
        A positive number added to the variance, as in PyTorch (default ``1e-5``).

    Returns
    -------
    Tensor of shape (m, n)
        Its VJP is the site's equation (LN3): the batch-norm result with the means taken along each row.

    Raises ``ValueError`` for shapes that do not match, for ``eps <= 0`` and for rows of one entry.
    """
    why = "a row of one entry equals its mean, so the output is beta whatever X is"
    return _normalised(LayerNorm, X, gamma, beta, eps, "columns", why)
