"""Convolution (cross-correlation, as every library computes it) and pooling on ``(m, c, h, w)`` batches.

Shapes: a batch of images ``X`` is ``(m, c_in, h, w)``; a kernel ``K`` is ``(c_out, c_in, kh, kw)``,
outputs first like a dense layer's ``W``; the output ``Z`` is ``(m, c_out, h_out, w_out)`` with
``h_out = (h + 2 padding - kh) / stride + 1``. Entry by entry, with ``Xp`` the zero-padded input,

    Z[r, o, i, j] = b[o] + sum_{c, u, v} K[o, c, u, v] Xp[r, c, stride i + u, stride j + v].

The forward pass is a matrix product: each window of ``Xp`` becomes a row of ``P`` (im2col) and
``Z = P K_flat^T + b``, the dense layer's ``z = a W^T + b`` with one row per position. The VJPs are
the site's equations: the kernel's gradient sums its copies over every position, ``dK = G^T P``
(equation CV2), and the input's gradient is a convolution of the output's gradient, dilated by the
stride and padded by ``k - 1``, with the flipped kernel (equation CV3). Pooling's VJPs are
equation (PL1): max pooling routes each window's gradient to its largest entry, average pooling
spreads it evenly over the window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import non_negative_int, positive_int
from .core import Operation, Tensor
from .ops import GetItem, ScatterAdd

_ALL = slice(None)


def _windows(X: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """``(m, c, H, W) -> (m, c, h_out, w_out, kh, kw)``: the window under each output position (a view)."""
    win = np.lib.stride_tricks.sliding_window_view(X, (kh, kw), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def _pad(X: np.ndarray, p: int) -> np.ndarray:
    return np.pad(X, ((0, 0), (0, 0), (p, p), (p, p))) if p else X


def _correlate(Xp: np.ndarray, K: np.ndarray, stride: int) -> np.ndarray:
    """``sum_{c,u,v} K[o,c,u,v] Xp[r,c,s i+u,s j+v]`` as the matrix product ``P K_flat^T`` (im2col)."""
    c_out = K.shape[0]
    P = _windows(Xp, K.shape[2], K.shape[3], stride).transpose(0, 2, 3, 1, 4, 5)  # m, h_out, w_out, c, kh, kw
    m, h_out, w_out = P.shape[:3]
    Z = P.reshape(m * h_out * w_out, -1) @ K.reshape(c_out, -1).T
    return Z.reshape(m, h_out, w_out, c_out).transpose(0, 3, 1, 2)


def _permute(t: Tensor, axes: tuple[int, ...]) -> Tensor:
    """``t`` with its axes reordered (``np.transpose``), written as indexing so both modes run through it."""
    index = tuple(
        np.arange(n).reshape([-1 if q == axes.index(k) else 1 for q in range(t.ndim)]) for k, n in enumerate(t.shape)
    )
    return GetItem(index)(t)


class Conv2d(Operation):
    """``Z = Xp (*) K + b``: cross-correlation of the padded input with the kernel, plus a bias per channel."""

    name = "conv2d"

    def __init__(self, stride: int, padding: int):
        self.stride, self.padding = stride, padding

    def value(self, X, K, b=None):
        Z = _correlate(_pad(X, self.padding), K, self.stride)
        return Z if b is None else Z + b[None, :, None, None]

    def jvp(self, dX, dK, db=None):  # bilinear in X and K, linear in b
        X, K = self.input_data[:2]
        p, s = self.padding, self.stride
        dZ = _correlate(_pad(dX, p), K, s) + _correlate(_pad(X, p), dK, s)
        return dZ if db is None else dZ + db[None, :, None, None]

    def vjp(self, g, i):
        X, K = self.inputs[:2]
        p, s = self.padding, self.stride
        m, c_out = g.shape[:2]
        kh, kw = K.shape[2:]
        if i == 0:  # (CV3): dilate g by the stride, pad it by k - 1, correlate with the flipped kernel
            H, W = X.shape[2] + 2 * p, X.shape[3] + 2 * p
            spread = (_ALL, _ALL, slice(kh - 1, kh + H - kh, s), slice(kw - 1, kw + W - kw, s))
            g_wide = ScatterAdd(spread, (m, c_out, H + kh - 1, W + kw - 1))(g)
            K_flipped = _permute(K[:, :, ::-1, ::-1], (1, 0, 2, 3))  # (c_in, c_out, kh, kw)
            dXp = Conv2d(1, 0)(g_wide, K_flipped)
            return dXp[:, :, p : p + X.shape[2], p : p + X.shape[3]]
        if i == 1:  # (CV2): the kernel's copies at every position, summed: dK = G^T P
            Xp = X if p == 0 else ScatterAdd((_ALL, _ALL, slice(p, -p), slice(p, -p)), _padded_shape(X.shape, p))(X)
            P = GetItem(_im2col_index(Xp.shape, kh, kw, s))(Xp)  # (m h_out w_out, c_in kh kw)
            G = _permute(g, (0, 2, 3, 1)).reshape(-1, c_out)  # (m h_out w_out, c_out)
            return (G.T @ P).reshape(K.shape)
        return g.sum(axis=(0, 2, 3))  # the bias of channel o is shared by every position of every image


def _padded_shape(shape: tuple[int, ...], p: int) -> tuple[int, ...]:
    m, c, h, w = shape
    return (m, c, h + 2 * p, w + 2 * p)


def _im2col_index(shape: tuple[int, ...], kh: int, kw: int, stride: int) -> tuple[np.ndarray, ...]:
    """Integer arrays that pick ``P[(r, i, j), (c, u, v)] = Xp[r, c, stride i + u, stride j + v]``."""
    m, c, H, W = shape
    h_out, w_out = (H - kh) // stride + 1, (W - kw) // stride + 1
    r, i, j, ch, u, v = np.ix_(range(m), range(h_out), range(w_out), range(c), range(kh), range(kw))
    cols = c * kh * kw
    return tuple(
        np.broadcast_to(a, (m, h_out, w_out, c, kh, kw)).reshape(-1, cols)
        for a in (r, ch, stride * i + u, stride * j + v)
    )


def _check_windows(op: str, sides: tuple[tuple[str, int, int], ...], stride: int, too_large: str, untiled: str) -> None:
    """Windows of ``k`` taken every ``stride`` must fit in and tile each side ``(name, n, k)``: ``k <= n``
    and ``n - k`` a multiple of ``stride``, so no row or column is silently dropped. The two messages,
    the operation's own, are formatted with name, n, k, stride and rest = (n - k) % stride."""
    for name, n, k in sides:
        if k > n:
            raise ValueError(f"{op}: " + too_large.format(name=name, n=n, k=k, stride=stride))
        if (n - k) % stride:
            raise ValueError(f"{op}: " + untiled.format(name=name, n=n, k=k, stride=stride, rest=(n - k) % stride))


def _pool_shape(X: object, size: object, stride: object, op: str) -> tuple[int, int]:
    if not isinstance(X, Tensor):
        raise TypeError(f"{op}: X must be a Tensor; got {type(X).__name__}")
    if X.ndim != 4:
        raise ValueError(f"{op}: X must have shape (m, c, h, w); got shape {X.shape}")
    size = positive_int(size, "size")
    stride = size if stride is None else positive_int(stride, "stride")
    h, w = X.shape[2:]
    _check_windows(
        op,
        (("height", h, size), ("width", w, size)),
        stride,
        "size {k} is larger than the input's {name} {n}",
        "windows of size {k} with stride {stride} do not tile the {name} {n}: ({n} - {k}) is not a multiple of "
        "{stride}, so the last {rest} row(s) or column(s) would be dropped; pad or crop the input first",
    )
    return size, stride


class MaxPool2d(Operation):
    """The largest entry of each window; the gradient goes to it (the first in reading order at a tie)."""

    name = "max_pool2d"
    saves_inputs = False  # the VJP needs only where the maxima were, recorded in value()

    def __init__(self, size: int, stride: int):
        self.size, self.stride = size, stride

    def value(self, X):
        win = _windows(X, self.size, self.size, self.stride)
        flat = win.reshape(win.shape[:4] + (-1,))
        k = flat.argmax(axis=-1)  # the first maximum in row-major order: PyTorch's choice at a tie
        r, c, i, j = np.indices(k.shape)
        u, v = np.divmod(k, self.size)
        self.index: Any = (r, c, self.stride * i + u, self.stride * j + v)  # the argmax of every window in X
        return X[self.index]

    def jvp(self, dX):
        return dX[self.index]

    def vjp(self, g, i):  # route g to each window's argmax; an entry that wins several windows gets their sum
        return ScatterAdd(self.index, self.inputs[0].shape)(g)


class AvgPool2d(Operation):
    """The mean of each window; every entry of a window receives ``g / size**2``."""

    name = "avg_pool2d"
    saves_inputs = False

    def __init__(self, size: int, stride: int):
        self.size, self.stride = size, stride

    def value(self, X):
        return _windows(X, self.size, self.size, self.stride).mean(axis=(-2, -1))

    def jvp(self, dX):
        return self.value(dX)

    def vjp(self, g, i):
        shape = self.inputs[0].shape
        h_out, w_out = g.shape[2:]
        s, k = self.stride, self.size
        parts = [  # the entries at offset (u, v) of every window each receive g / size**2
            ScatterAdd((_ALL, _ALL, slice(u, u + s * (h_out - 1) + 1, s), slice(v, v + s * (w_out - 1) + 1, s)), shape)(
                g
            )
            for u in range(k)
            for v in range(k)
        ]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total * (1.0 / k**2)


def conv2d(X: Tensor, K: Tensor, b: Tensor | None = None, stride: int = 1, padding: int = 0) -> Tensor:
    """Cross-correlation of a batch of images with a bank of kernels, plus a bias per output channel.

    Parameters
    ----------
    X : Tensor of shape (m, c_in, h, w)
        ``m`` images of ``c_in`` channels.
    K : Tensor of shape (c_out, c_in, kh, kw)
        One kernel per output channel, outputs first like a dense layer's ``W`` (neurons, inputs).
    b : Tensor of shape (c_out,), optional
        One bias per output channel, shared by every position.
    stride : int
        The step between windows (1 or more).
    padding : int
        Zeros added on every side of each image before the windows are taken (0 or more).

    Returns
    -------
    Tensor of shape (m, c_out, h_out, w_out)
        ``Z[r,o,i,j] = b[o] + sum_{c,u,v} K[o,c,u,v] Xp[r,c,stride i+u, stride j+v]``, with
        ``h_out = (h + 2 padding - kh) / stride + 1`` (and the same for the width), as
        ``torch.nn.functional.conv2d`` computes it. The VJPs are the site's equations (CV2) and (CV3).

    Raises ``TypeError`` for a non-Tensor or a non-integer stride or padding, and ``ValueError`` for
    shapes that do not match, a kernel larger than the padded image, and a stride that does not tile it.
    """
    for name, t in (("X", X), ("K", K)):
        if not isinstance(t, Tensor):
            raise TypeError(f"conv2d: {name} must be a Tensor; got {type(t).__name__}")
    if X.ndim != 4:
        raise ValueError(f"conv2d: X must have shape (m, c_in, h, w); got shape {X.shape}")
    if K.ndim != 4:
        raise ValueError(f"conv2d: K must have shape (c_out, c_in, kh, kw); got shape {K.shape}")
    if K.shape[1] != X.shape[1]:
        raise ValueError(
            f"conv2d: K's c_in must equal X's channels; got K of shape {K.shape} (c_in {K.shape[1]}) "
            f"and X of shape {X.shape} ({X.shape[1]} channels)"
        )
    stride = positive_int(stride, "stride")
    padding = non_negative_int(padding, "padding")
    _check_windows(
        "conv2d",
        (("height", X.shape[2] + 2 * padding, K.shape[2]), ("width", X.shape[3] + 2 * padding, K.shape[3])),
        stride,
        "the kernel's {name} {k} is larger than the padded image's {name} {n}",
        "stride {stride} does not tile the padded {name} {n} with a kernel of {k}: ({n} - {k}) is not a multiple "
        "of {stride}; change the padding or the stride",
    )
    inputs = [X, K]
    if b is not None:
        if not isinstance(b, Tensor):
            raise TypeError(f"conv2d: b must be a Tensor or None; got {type(b).__name__}")
        if b.shape != (K.shape[0],):
            raise ValueError(f"conv2d: b must have shape (c_out,) = ({K.shape[0]},); got shape {b.shape}")
        inputs.append(b)
    return Conv2d(stride, padding)(*inputs)


def max_pool2d(X: Tensor, size: int, stride: int | None = None) -> Tensor:
    """The largest entry of each ``size x size`` window, per image and channel.

    ``X`` of shape (m, c, h, w); ``stride`` defaults to ``size`` (windows side by side). Returns
    ``(m, c, h_out, w_out)`` with ``h_out = (h - size) / stride + 1``. The gradient of each window
    goes to its largest entry; at a tie, to the first of the tied entries in reading order (row by
    row, left to right), as PyTorch does. Where windows overlap an entry can win several windows and
    receives the sum of their gradients. Raises ``ValueError`` if the windows do not tile the image.
    """
    size, stride = _pool_shape(X, size, stride, "max_pool2d")
    return MaxPool2d(size, stride)(X)


def avg_pool2d(X: Tensor, size: int, stride: int | None = None) -> Tensor:
    """The mean of each ``size x size`` window, per image and channel.

    ``X`` of shape (m, c, h, w); ``stride`` defaults to ``size``. Returns ``(m, c, h_out, w_out)``;
    each entry of a window receives ``1 / size**2`` of its gradient (summed over the windows it is
    in). Raises ``ValueError`` if the windows do not tile the image.
    """
    size, stride = _pool_shape(X, size, stride, "avg_pool2d")
    return AvgPool2d(size, stride)(X)
