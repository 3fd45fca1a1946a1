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


def _conv2d(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ncijpq,ocpq->noij", _windows(X, *W.shape[2:]), W) + b[None, :, None, None]


def _conv_dX(dY: np.ndarray, X_shape: tuple[int, ...], W: np.ndarray) -> np.ndarray:
    dX = np.zeros(X_shape)
    oh, ow = dY.shape[2:]
    for p in range(W.shape[2]):  # x[i + p, j + q] met W[p, q] at output (i, j): scatter back along that edge
        for q in range(W.shape[3]):
            dX[:, :, p : p + oh, q : q + ow] += np.einsum("noij,oc->ncij", dY, W[:, :, p, q])
    return dX


def _conv2d_backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray) -> Arrays3:
    dW = np.einsum("noij,ncijpq->ocpq", dY, _windows(X, *W.shape[2:]))
    return _conv_dX(dY, X.shape, W), dW, dY.sum(axis=(0, 2, 3))


def _conv_cases() -> list[Case]:
    cases = []
    for seed, (m, c, h, w, o, kh, kw) in zip(
        (25, 26, 27), ((2, 2, 5, 4, 3, 3, 2), (3, 1, 4, 4, 2, 2, 2), (2, 3, 4, 5, 2, 3, 3))
    ):
        rng = np.random.default_rng(seed)
        oh, ow = h - kh + 1, w - kw + 1
        inputs = {
            "dY": rng.normal(size=(m, o, oh, ow)),
            "X": rng.normal(size=(m, c, h, w)),
            "W": rng.normal(size=(o, c, kh, kw)),
        }
        cases.append(
            Case(
                f"X {(m, c, h, w)}, W {(o, c, kh, kw)}, seed {seed}",
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
    at = {"X": case.inputs["X"], "W": case.inputs["W"], "b": case.hidden["b"]}
    return vjp_numeric(_conv2d, case.inputs["dY"], at, ("X", "W", "b"))


CONV2D_BACKWARD = Exercise(
    name="conv2d_backward",
    statement="A convolution layer's backward pass: dX, dW and db of a 2-D cross-correlation over a batch.",
    page="beyond/convolution.md",
    params=("dY", "X", "W"),
    outputs=("dX", "dW", "db"),
    docstring="""Return (dX, dW, db) for a 2-D convolution layer, stride 1, no padding.

    Forward (a cross-correlation, as in PyTorch's Conv2d):
    Y[r, o, i, j] = sum_{c, p, q} X[r, c, i + p, j + q] * W[o, c, p, q] + b[o]

    dY: (m, c_out, h - kh + 1, w - kw + 1) dC/dY
    X: (m, c_in, h, w) the input batch
    W: (c_out, c_in, kh, kw) the kernels
    returns dX: (m, c_in, h, w), dW: (c_out, c_in, kh, kw), db: (c_out,)""",
    equation="the page's backward pass of the convolution",
    reference=_conv2d_backward,
    numeric=_conv_numeric,
    cases=_conv_cases,
    mistakes=(
        Mistake(
            "dX",
            "the kernel is rotated by 180 degrees: x[i + p, j + q] meets W[p, q] at output (i, j), so "
            "scatter dY back with W as it is (or, as a full correlation of dY, rotate it exactly once)",
            lambda dY, X, W: _conv_dX(dY, X.shape, W[:, :, ::-1, ::-1]),
        ),
        Mistake(
            "dW",
            "dW is rotated by 180 degrees: dW[o, c, p, q] pairs dY[r, o, i, j] with X[r, c, i + p, j + q]",
            lambda dY, X, W: np.einsum("noij,ncijpq->ocpq", dY, _windows(X, *W.shape[2:]))[:, :, ::-1, ::-1],
        ),
        Mistake(
            "dW",
            "off by a factor m = {m}: dW sums over the batch, it does not average",
            lambda dY, X, W: np.einsum("noij,ncijpq->ocpq", dY, _windows(X, *W.shape[2:])) / X.shape[0],
        ),
        Mistake(
            "db",
            "the bias is shared by every position (i, j) too: sum dY over axes 0, 2 and 3, not over the batch alone",
            lambda dY, X, W: dY.sum(axis=0),
        ),
        Mistake(
            "db",
            "wrong axis summed: db sums over the batch and the positions (axes 0, 2, 3), one entry "
            "per output channel; yours kept the batch",
            lambda dY, X, W: dY.sum(axis=(2, 3)),
        ),
        Mistake(
            "db",
            "averaged where the sum belongs: db = dY.sum(axis=(0, 2, 3))",
            lambda dY, X, W: dY.mean(axis=(0, 2, 3)),
        ),
    ),
)


# maxpool_backward --------------------------------------------------------------------------------
def _blocks(X: np.ndarray, size: int) -> np.ndarray:
    """(m, c, oh, size, ow, size): the non-overlapping windows of X."""
    m, c, h, w = X.shape
    return X.reshape(m, c, h // size, size, w // size, size)


def _maxpool(X: np.ndarray, size: int) -> np.ndarray:
    return _blocks(X, size).max(axis=(3, 5))


def _route(dY: np.ndarray, X: np.ndarray, size: int, mask: np.ndarray) -> np.ndarray:
    return (mask * dY[:, :, :, None, :, None]).reshape(X.shape)


def _maxpool_backward(dY: np.ndarray, X: np.ndarray, size: int) -> np.ndarray:
    blocks = _blocks(X, size)
    return _route(dY, X, size, blocks == blocks.max(axis=(3, 5), keepdims=True))


def _swapped_argmax(dY: np.ndarray, X: np.ndarray, size: int) -> np.ndarray:
    blocks = _blocks(X, size).transpose(0, 1, 2, 4, 3, 5)  # (m, c, oh, ow, size, size)
    flat = blocks.reshape(*blocks.shape[:4], -1).argmax(axis=-1)
    col, row = np.unravel_index(flat, (size, size))  # the mistake: (row, col) read back the wrong way round
    mask = np.zeros_like(blocks)
    idx = np.indices(flat.shape)
    mask[idx[0], idx[1], idx[2], idx[3], row, col] = 1.0
    return _route(dY, X, size, mask.transpose(0, 1, 2, 4, 3, 5))


def _first_entry(dY: np.ndarray, X: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros_like(_blocks(X, size))
    mask[:, :, :, 0, :, 0] = 1.0
    return _route(dY, X, size, mask)


def _maxpool_cases() -> list[Case]:
    cases = []
    for seed, (m, c, h, w, size) in zip((28, 29, 30), ((2, 3, 4, 6, 2), (1, 2, 6, 6, 3), (3, 1, 4, 4, 2))):
        rng = np.random.default_rng(seed)
        # Distinct values at least 0.05 apart: a finite difference never changes which entry is the maximum.
        X = rng.permutation(np.arange(m * c * h * w)).reshape(m, c, h, w) * 0.05 + rng.uniform(0, 0.01, (m, c, h, w))
        inputs = {"dY": rng.normal(size=(m, c, h // size, w // size)), "X": X - X.mean(), "size": size}
        cases.append(
            Case(
                f"X {(m, c, h, w)}, size {size}, seed {seed}",
                inputs,
                {},
                {"m": (m, "the batch size m"), "window": (size * size, "the window's size")},
            )
        )
    return cases


def _maxpool_numeric(case: Case) -> tuple[np.ndarray, ...]:
    size = case.inputs["size"]
    return vjp_numeric(lambda X: _maxpool(X, size), case.inputs["dY"], {"X": case.inputs["X"]}, ("X",))


MAXPOOL_BACKWARD = Exercise(
    name="maxpool_backward",
    statement="Max pooling's backward pass: send each window's gradient to the entry that was its maximum.",
    page="beyond/convolution.md",
    params=("dY", "X", "size"),
    outputs=("dX",),
    docstring="""Return dX for max pooling over non-overlapping size x size windows (stride = size).

    Forward: Y[r, c, i, j] = max of X[r, c, size*i : size*(i+1), size*j : size*(j+1)];
    every window here has a single maximum.

    dY: (m, c, h // size, w // size) dC/dY
    X: (m, c, h, w) the input, h and w multiples of size
    size: int, the window's height and width
    returns dX: (m, c, h, w)""",
    equation="the page's max-pooling backward pass",
    reference=_maxpool_backward,
    numeric=_maxpool_numeric,
    cases=_maxpool_cases,
    mistakes=(
        Mistake(
            "dX",
            "the gradient was spread evenly over each window, as for average pooling: max pooling sends "
            "all of it to the window's maximum",
            lambda dY, X, size: _route(dY, X, size, np.full(_blocks(X, size).shape, 1.0 / size**2)),
        ),
        Mistake(
            "dX",
            "dY was copied to every entry of its window: only the maximum affects the output, the other entries get 0",
            lambda dY, X, size: _route(dY, X, size, np.ones(_blocks(X, size).shape)),
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
