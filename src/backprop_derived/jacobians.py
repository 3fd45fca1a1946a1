"""Jacobians in numerator layout: rows index the outputs of a function, columns its inputs.

The three analytic Jacobians the chapters take apart, for one observation (a row vector) and a
layer of ``n_neurons`` neurons with ``n_inputs`` inputs (``i`` and ``j`` stay indices, as in the text):

* ``d z / d a_prev = W``, shape (n_neurons, n_inputs);
* ``d z / d W``, shape (n_neurons, n_neurons * n_inputs), with ``W`` flattened row by row: row ``i``
  holds ``a_prev`` in the columns of ``W``'s row ``i`` and zeros elsewhere, so ``n_inputs`` numbers
  stand for all the partials;
* ``d a / d z``, shape (n_neurons, n_neurons): ``diag(sigma'(z))`` for an element-wise sigma, full
  for softmax.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import finite, float_array, positive_int, positive_number
from .activations import get_activation


def numerical_jacobian(f: Callable[[np.ndarray], ArrayLike], x: ArrayLike, h: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``f`` at ``x``.

    ``x`` may have any shape; entries are taken in row-major (C) order, and so are the outputs of
    ``f``. Returns shape ``(f(x).size, x.size)``: entry ``[r, c] = d f_r / d x_c``, approximated by
    ``(f(x + h e_c) - f(x - h e_c)) / (2 h)``, with a truncation error of order ``h**2`` plus a
    round-off of order ``eps * |f| / h`` (``eps`` = 2.2e-16 in float64), which dominates for ``h``
    below about 1e-5 when ``f`` is of order one. The default ``h = 1e-6`` is on that side: its
    round-off, about ``2e-10 * |f|``, and its truncation error, about 1e-13 for a third derivative
    of order one, are both below the site's tolerances ``CENTRAL_DIFFERENCE_RTOL`` (1e-6) and
    ``CENTRAL_DIFFERENCE_ATOL`` (1e-9), the round-off below the latter while ``|f|`` is below about 4.5
    (see ``CENTRAL_DIFFERENCE_ATOL``); so is the error at ``numerical_gradients``' ``h = 1e-5``, and
    either step passes the same checks. ``h`` must be a positive finite number. ``f`` is called
    exactly ``2 * x.size`` times.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array; got {f!r}")
    h = positive_number(h, "h")
    x = np.array(float_array(x, "x"), dtype=np.float64, copy=True, order="C")  # C order: flat below is a view
    if x.size == 0:
        raise ValueError("x is empty; expected at least one entry to differentiate with respect to")
    finite(x, "x")
    flat = x.reshape(-1)  # a view: perturbing flat perturbs x
    columns: list[np.ndarray] = []
    for c in range(flat.size):  # exactly 2 calls of f per entry of x, none to learn the output size
        keep = flat[c]
        flat[c] = keep + h
        up = np.asarray(f(x), dtype=np.float64).reshape(-1)
        flat[c] = keep - h
        down = np.asarray(f(x), dtype=np.float64).reshape(-1)
        flat[c] = keep
        if columns and up.size != columns[0].size:
            raise ValueError(
                f"f must return the same number of outputs at every point; got {columns[0].size} and then {up.size}"
            )
        columns.append((up - down) / (2 * h))
    return np.stack(columns, axis=1)


def _row(v: ArrayLike, name: str) -> np.ndarray:
    """One observation as a 1-D array: accepts shape (n,) or the row vector (1, n)."""
    v = finite(float_array(v, name), name)
    if v.ndim == 2 and v.shape[0] == 1:
        return v[0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be one observation, shape (n,) or (1, n); got shape {v.shape}")
    return v


def jacobian_z_wrt_a_prev(W: ArrayLike) -> np.ndarray:
    """``d z / d a_prev`` for ``z = a_prev W^T + b``: the weight matrix itself, (n_neurons, n_inputs)."""
    W = float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix of shape (n_neurons, n_inputs); got shape {W.shape}")
    return W.copy()


def jacobian_z_wrt_W(a_prev: ArrayLike, n_neurons: int) -> np.ndarray:
    """``d z / d W`` for one observation, shape (n_neurons, n_neurons * n_inputs), ``W`` row-major.

    ``d z_k / d W[r, c] = a_prev[c]`` when ``r == k`` and 0 otherwise: a block-diagonal layout
    with the same ``a_prev`` (shape (n_inputs,) or (1, n_inputs)) in every block.
    """
    a_prev = _row(a_prev, "a_prev")
    n_neurons = positive_int(n_neurons, "n_neurons")
    return np.kron(np.eye(n_neurons), a_prev)


def jacobian_a_wrt_z(activation: str, z: ArrayLike) -> np.ndarray:
    """``d a / d z`` of the named activation at one observation ``z`` (shape (n,) or (1, n)): (n, n)."""
    act = get_activation(activation)
    z = _row(z, "z")
    return act.jacobian(z[None, :])[0]
