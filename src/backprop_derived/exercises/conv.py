"""Exercises on convolution (a cross-correlation, stride 1, no padding, as in PyTorch's Conv2d) and
non-overlapping max pooling, in the layout (batch, channels, height, width)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._base import Arrays3, Case, Exercise, Mistake, vjp_numeric


# conv2d_backward ---------------------------------------------------------------------------------
def _windows(X: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """(m, c, oh, ow, kh, kw): the patch of X under the kernel at each output position."""
    return sliding_window_view(X, (kh, kw), axis=(2, 3))


def _conv2d(X: np.ndarray, K: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ncijpq,ocpq->noij", _windows(X, *K.shape[2:]), K) + b[None, :, None, None]


def _conv_dX(G: np.ndarray, X_shape: tuple[int, ...], K: np.ndarray) -> np.ndarray:
    dX = np.zeros(X_shape)
    oh, ow = G.shape[2:]
    for p in range(K.shape[2]):  # x[i + p, j + q] met K[p, q] at output (i, j): scatter back along that edge
        for q in range(K.shape[3]):
            dX[:, :, p : p + oh, q : q + ow] += np.einsum("noij,oc->ncij", G, K[:, :, p, q])
    return dX


def _conv2d_backward(G: np.ndarray, X: np.ndarray, K: np.ndarray) -> Arrays3:
    dK = np.einsum("noij,ncijpq->ocpq", G, _windows(X, *K.shape[2:]))
    return _conv_dX(G, X.shape, K), dK, G.sum(axis=(0, 2, 3))


def _conv_cases() -> list[Case]:
    cases = []
    for seed, (m, c, h, w, o, kh, kw) in zip(
        (25, 26, 27), ((2, 2, 5, 4, 3, 3, 2), (3, 1, 4, 4, 2, 2, 2), (2, 3, 4, 5, 2, 3, 3))
    ):
        rng = np.random.default_rng(seed)
        oh, ow = h - kh + 1, w - kw + 1
        inputs = {
            "G": rng.normal(size=(m, o, oh, ow)),
            "X": rng.normal(size=(m, c, h, w)),
            "K": rng.normal(size=(o, c, kh, kw)),
        }
        cases.append(
            Case(
                f"X {(m, c, h, w)}, K {(o, c, kh, kw)}, seed {seed}",
                inputs,
                {"b": rng.normal(size=o)},
                {
                    "m": (m, "the batch size m"),
                    "positions": (oh * ow, "the number of output positions"),
                    "mpos": (m * oh * ow, "the batch size times the output positions"),
                },
            )
        )
    return cases


def _conv_numeric(case: Case) -> tuple[np.ndarray, ...]:
    at = {"X": case.inputs["X"], "K": case.inputs["K"], "b": case.hidden["b"]}
    return vjp_numeric(_conv2d, case.inputs["G"], at, ("X", "K", "b"))


CONV2D_BACKWARD = Exercise(
    name="conv2d_backward",
    statement="A convolution layer's backward pass: dX, dK and db of a 2-D cross-correlation over a batch.",
    page="beyond/convolution.md#kernel",
    params=("G", "X", "K"),
    outputs=("dX", "dK", "db"),
    docstring="""Return (dX, dK, db) for a 2-D convolution layer, stride 1, no padding.

    Forward (a cross-correlation, as in PyTorch's Conv2d):
    Z[r, o, i, j] = b[o] + sum_{c, u, v} K[o, c, u, v] * X[r, c, i + u, j + v]

    G: (m, c_out, h - kh + 1, w - kw + 1) dC/dZ
    X: (m, c_in, h, w) the input batch
    K: (c_out, c_in, kh, kw) the kernels
    returns dX: (m, c_in, h, w), dK: (c_out, c_in, kh, kw), db: (c_out,)""",
    equation="(CV2) for dK and db, and (CV3) for dX, stride 1 and no padding",
    reference=_conv2d_backward,
    numeric=_conv_numeric,
    cases=_conv_cases,
    mistakes=(
        Mistake(
            "dX",
            "the kernel is rotated by 180 degrees: X[r, c, i + u, j + v] meets K[o, c, u, v] at output (i, j), so "
            "scatter G back with K as it is (or, as a full correlation of G, rotate it exactly once)",
            lambda G, X, K: _conv_dX(G, X.shape, K[:, :, ::-1, ::-1]),
        ),
        Mistake(
            "dK",
            "dK is rotated by 180 degrees: dK[o, c, u, v] pairs G[r, o, i, j] with X[r, c, i + u, j + v]",
            lambda G, X, K: np.einsum("noij,ncijpq->ocpq", G, _windows(X, *K.shape[2:]))[:, :, ::-1, ::-1],
        ),
        Mistake(
            "dK",
            "off by a factor m = {m}: dK sums over the batch, it does not average",
            lambda G, X, K: np.einsum("noij,ncijpq->ocpq", G, _windows(X, *K.shape[2:])) / X.shape[0],
        ),
        Mistake(
            "db",
            "the bias is shared by every position (i, j) too: sum G over axes 0, 2 and 3, not over the batch alone",
            lambda G, X, K: G.sum(axis=0),
        ),
        Mistake(
            "db",
            "wrong axis summed: db sums over the batch and the positions (axes 0, 2, 3), one entry "
            "per output channel; yours kept the batch",
            lambda G, X, K: G.sum(axis=(2, 3)),
        ),
        Mistake(
            "db",
            "averaged where the sum belongs: db = G.sum(axis=(0, 2, 3))",
            lambda G, X, K: G.mean(axis=(0, 2, 3)),
        ),
    ),
)


# maxpool_backward --------------------------------------------------------------------------------
def _blocks(X: np.ndarray, k: int) -> np.ndarray:
    """(m, c, oh, k, ow, k): the non-overlapping windows of X."""
    m, c, h, w = X.shape
    return X.reshape(m, c, h // k, k, w // k, k)


def _maxpool(X: np.ndarray, k: int) -> np.ndarray:
    return _blocks(X, k).max(axis=(3, 5))


def _route(G: np.ndarray, X: np.ndarray, k: int, mask: np.ndarray) -> np.ndarray:
    return (mask * G[:, :, :, None, :, None]).reshape(X.shape)


def _maxpool_backward(G: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    blocks = _blocks(X, k)
    return _route(G, X, k, blocks == blocks.max(axis=(3, 5), keepdims=True))


def _swapped_argmax(G: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    blocks = _blocks(X, k).transpose(0, 1, 2, 4, 3, 5)  # (m, c, oh, ow, k, k)
    flat = blocks.reshape(*blocks.shape[:4], -1).argmax(axis=-1)
    col, row = np.unravel_index(flat, (k, k))  # the mistake: (row, col) read back the wrong way round
    mask = np.zeros_like(blocks)
    idx = np.indices(flat.shape)
    mask[idx[0], idx[1], idx[2], idx[3], row, col] = 1.0
    return _route(G, X, k, mask.transpose(0, 1, 2, 4, 3, 5))


def _first_entry(G: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    mask = np.zeros_like(_blocks(X, k))
    mask[:, :, :, 0, :, 0] = 1.0
    return _route(G, X, k, mask)


def _maxpool_cases() -> list[Case]:
    cases = []
    for seed, (m, c, h, w, k) in zip((28, 29, 30), ((2, 3, 4, 6, 2), (1, 2, 6, 6, 3), (3, 1, 4, 4, 2))):
        rng = np.random.default_rng(seed)
        # Distinct values at least 0.05 apart: a finite difference never changes which entry is the maximum.
        X = rng.permutation(np.arange(m * c * h * w)).reshape(m, c, h, w) * 0.05 + rng.uniform(0, 0.01, (m, c, h, w))
        inputs = {"G": rng.normal(size=(m, c, h // k, w // k)), "X": X - X.mean(), "k": k}
        cases.append(
            Case(
                f"X {(m, c, h, w)}, k {k}, seed {seed}",
                inputs,
                {},
                {"m": (m, "the batch k m"), "window": (k * k, "the window's k")},
            )
        )
    return cases


def _maxpool_numeric(case: Case) -> tuple[np.ndarray, ...]:
    k = case.inputs["k"]
    return vjp_numeric(lambda X: _maxpool(X, k), case.inputs["G"], {"X": case.inputs["X"]}, ("X",))


MAXPOOL_BACKWARD = Exercise(
    name="maxpool_backward",
    statement="Max pooling's backward pass: send each window's gradient to the entry that was its maximum.",
    page="beyond/pooling.md#pooling",
    params=("G", "X", "k"),
    outputs=("dX",),
    docstring="""Return dX for max pooling over non-overlapping k x k windows (stride k).

    Forward: Z[r, c, i, j] = max of X[r, c, k*i : k*(i+1), k*j : k*(j+1)];
    every window here has a single maximum.

    G: (m, c, h // k, w // k) dC/dZ
    X: (m, c, h, w) the input, h and w multiples of k
    k: int, the window's height and width
    returns dX: (m, c, h, w)""",
    equation="(PL1), max pooling",
    reference=_maxpool_backward,
    numeric=_maxpool_numeric,
    cases=_maxpool_cases,
    mistakes=(
        Mistake(
            "dX",
            "the gradient was spread evenly over each window, as for average pooling: max pooling sends "
            "all of it to the window's maximum",
            lambda G, X, k: _route(G, X, k, np.full(_blocks(X, k).shape, 1.0 / k**2)),
        ),
        Mistake(
            "dX",
            "G was copied to every entry of its window: only the maximum affects the output, the other entries get 0",
            lambda G, X, k: _route(G, X, k, np.ones(_blocks(X, k).shape)),
        ),
        Mistake("dX", "the gradient went to each window's first (top-left) entry, not to its maximum", _first_entry),
        Mistake(
            "dX",
            "the maximum's row and column were swapped when its position in the window was read back "
            "(np.unravel_index returns (row, column))",
            _swapped_argmax,
        ),
    ),
)
