"""Operations on sequences: scaled dot-product attention, an Elman recurrent network, gradient clipping.

Each operation holds its value, JVP and VJP side by side (the protocol of ``core``), and each VJP is
the equation its page derives: attention's on the attention page, backprop through time on the BPTT
page. Both VJPs are written in NumPy, in the page's form (a recursion through time, a softmax row's
Jacobian), not with the engine's operations; so that ``hvp`` (forward mode through the backward
pass) still works, each VJP also writes its own tangent, the derivative of each of its lines.

Row vectors throughout: a query, a key, a value and a hidden state are rows; weights are
``(out, in)``, so a hidden state's pre-activation is ``z_t = x_t W_x^T + h_{t-1} W_h^T + b``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import positive_number
from ..activations import get_activation
from .core import Operation, Tensor, _forward_mode, constant


def _tangent(x: Tensor) -> np.ndarray:
    return x.tangent if x.tangent is not None else np.zeros(x.shape)


def _softmax_rows(S: np.ndarray) -> np.ndarray:
    """Softmax along the last axis; entries of -inf (masked) get exactly 0."""
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _shifted_to_top(P: np.ndarray, dP: np.ndarray) -> np.ndarray:
    """``dP`` less, row by row, its entry at the row's largest ``p`` (that entry becomes exactly 0)."""
    return dP - np.take_along_axis(dP, np.argmax(P, axis=-1)[..., None], axis=-1)


def _through_softmax(P: np.ndarray, dP: np.ndarray) -> np.ndarray:
    """``P * (dP - rowsum(P * dP))``: a vector through each softmax row's Jacobian ``diag(p) - p^T p``.

    ``dP`` is first shifted to its row's top (``_shifted_to_top``). The rows of ``P`` sum to 1, so
    the result is the same in exact arithmetic; in floating point the shift removes the cancellation
    that a saturated row (largest ``p`` near 1) suffers in the subtraction.
    """
    c = _shifted_to_top(P, dP)
    return P * (c - np.sum(P * c, axis=-1, keepdims=True))


def _swap(A: np.ndarray) -> np.ndarray:
    """The transpose of each matrix in a stack: the last two axes swapped."""
    return np.swapaxes(A, -1, -2)


class Attention(Operation):
    """``O = softmax(Q K^T / sqrt(d)) V``, one softmax per query row; a leading batch axis is allowed.

    With ``S = Q K^T / sqrt(d)`` and ``P = softmax(S)`` row by row, and ``G = dC/dO``:

    * ``dC/dV = P^T G``;
    * ``dC/dP = G V^T``, and through each softmax row's Jacobian ``diag(p) - p^T p``,
      ``dC/dS = P * (dC/dP - rowsum(P * dC/dP))`` (computed shifted, without cancellation:
      ``_through_softmax``);
    * ``dC/dQ = dC/dS K / sqrt(d)`` and ``dC/dK = (dC/dS)^T Q / sqrt(d)``.
    """

    name = "attention"

    def __init__(self, mask: np.ndarray | None):
        self.mask = mask

    def value(self, Q, K, V):
        self.scale = 1.0 / np.sqrt(Q.shape[-1])
        S = Q @ _swap(K) * self.scale
        if self.mask is not None:
            S = np.where(self.mask, S, -np.inf)  # an excluded key gets weight exactly 0
        self.P = _softmax_rows(S)
        return self.P @ V

    def jvp(self, dQ, dK, dV):
        Q, K, V = self.input_data
        P = self.P
        dS = (dQ @ _swap(K) + Q @ _swap(dK)) * self.scale
        dP = _through_softmax(P, dS)  # the softmax row's Jacobian times dS
        return dP @ V + P @ dV

    def vjp(self, g, i):
        Q, K, _ = self.input_data
        P, G = self.P, g.data
        dP = dS = None
        if i == 2:
            out = constant(_swap(P) @ G)  # dC/dV = P^T G
        else:
            dP, dS = self._score_cotangents(g)
            if i == 0:
                out = constant(dS @ K * self.scale)  # dC/dQ = dC/dS K / sqrt(d)
            else:
                out = constant(_swap(dS) @ Q * self.scale)  # dC/dK = (dC/dS)^T Q / sqrt(d)
        if _forward_mode(self.inputs, g):
            out.tangent = self._vjp_tangent(g, i, dP, dS)
        return out

    def _score_cotangents(self, g):
        """``dC/dP`` and ``dC/dS`` for the cotangent ``g``, computed once when both Q and K need them."""
        cached = getattr(self, "_scores_for", None)
        if cached is not None and cached[0] is g:
            self._scores_for = None  # served twice: Q and K; nothing else reads it
            return cached[1], cached[2]
        P, G, V = self.P, g.data, self.input_data[2]
        dP = G @ _swap(V)  # dC/dP = G V^T
        dS = _through_softmax(P, dP)  # through each softmax row
        if self.inputs[0].requires_grad and self.inputs[1].requires_grad:
            self._scores_for = (g, dP, dS)  # the other of Q and K will ask for the same g
        return dP, dS

    def _vjp_tangent(self, g, i, dP, dS):
        """Forward over reverse: the tangent of input ``i``'s cotangent, each line of ``vjp`` differentiated."""
        Q, K, V = self.input_data
        tQ, tK, tV = (_tangent(x) for x in self.inputs)
        P, G, tG = self.P, g.data, _tangent(g)
        tS = (tQ @ _swap(K) + Q @ _swap(tK)) * self.scale
        tP = _through_softmax(P, tS)  # the JVP's own line
        if i == 2:
            return _swap(tP) @ G + _swap(P) @ tG
        t_dP = tG @ _swap(V) + G @ _swap(tV)
        # dS = P * (c - rowsum(P * c)) with c = dP shifted to each row's top p (the top is fixed nearby)
        c = _shifted_to_top(P, dP)
        t_dS = tP * (c - np.sum(P * c, axis=-1, keepdims=True))
        t_dS += _through_softmax(P, t_dP) - P * np.sum(tP * c, axis=-1, keepdims=True)
        if i == 0:
            return (t_dS @ K + dS @ tK) * self.scale
        return (_swap(t_dS) @ Q + _swap(dS) @ tQ) * self.scale


def attention(Q: Tensor, K: Tensor, V: Tensor, mask: Any = None) -> Tensor:
    """Scaled dot-product attention in row form: ``softmax(Q K^T / sqrt(d)) V``.

    Parameters
    ----------
    Q : Tensor of shape (t, d) or (m, t, d)
        One query per row.
    K : Tensor of shape (t', d) or (m, t', d)
        One key per row, as long as a query.
    V : Tensor of shape (t', d_v) or (m, t', d_v)
        One value per row, one for each key.
    mask : array_like of bool, shape (t, t'), optional
        ``mask[i, j]`` False excludes key ``j`` from query ``i``'s softmax (the same mask for every
        sequence of a batch). Every row must keep at least one key.

    Returns
    -------
    Tensor of shape (t, d_v) or (m, t, d_v)
        Row ``i`` is the average of the values weighted by query ``i``'s softmax row.
    """
    for name, x in (("Q", Q), ("K", K), ("V", V)):
        if not isinstance(x, Tensor):
            raise TypeError(f"attention: {name} must be a Tensor; got {type(x).__name__}")
    if Q.ndim not in (2, 3) or K.ndim != Q.ndim or V.ndim != Q.ndim:
        raise ValueError(
            "attention: Q, K and V must all be matrices (t, d), (t', d), (t', d_v) or all stacks (m, t, d), ...; "
            f"got shapes {Q.shape}, {K.shape} and {V.shape}"
        )
    if Q.ndim == 3 and not Q.shape[0] == K.shape[0] == V.shape[0]:
        raise ValueError(
            f"attention: Q, K and V need the same batch size m; got shapes {Q.shape}, {K.shape} and {V.shape}"
        )
    if K.shape[-1] != Q.shape[-1]:
        raise ValueError(f"attention: K must have Q's row length d = {Q.shape[-1]}; got shape {K.shape}")
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(f"attention: V needs one row per key ({K.shape[-2]}); got shape {V.shape}")
    if 0 in Q.shape or 0 in K.shape or 0 in V.shape:
        raise ValueError(f"attention: empty input; got shapes {Q.shape}, {K.shape} and {V.shape}")
    if mask is not None:
        mask = _mask(mask, (Q.shape[-2], K.shape[-2]))
    return Attention(mask)(Q, K, V)


def _mask(mask: Any, shape: tuple[int, int]) -> np.ndarray:
    """A boolean (t, t') array in which every row keeps at least one key, or a clear error."""
    if isinstance(mask, Tensor):
        raise TypeError("attention: mask must be a boolean array, not a Tensor")
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(f"attention: mask must hold True/False (dtype bool); got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"attention: mask must have shape (t, t') = {shape}; got {arr.shape}")
    empty = np.flatnonzero(~arr.any(axis=1))
    if empty.size:
        raise ValueError(
            f"attention: mask excludes every key for query row(s) {empty.tolist()}; a softmax over nothing is undefined"
        )
    return arr.copy()


class RNN(Operation):
    """An Elman network, ``h_t = sigma(x_t W_x^T + h_{t-1} W_h^T + b)`` for t = 1..T, every ``h_t`` returned.

    The VJP is backprop through time. With ``g_t`` the cotangent of the returned ``h_t`` (the cost's
    own path to it), the recursion runs from ``t = T`` down to 1:

    * ``dC/dh_t = g_t + delta_{t+1} W_h`` (no second term at ``t = T``);
    * ``delta_t = dC/dz_t = dC/dh_t * sigma'(z_t)``;

    and the shared weights add up their T copies: ``dC/dW_x = sum_t delta_t^T x_t``,
    ``dC/dW_h = sum_t delta_t^T h_{t-1}``, ``dC/db = sum_t 1^T delta_t``; and ``dC/dx_t = delta_t W_x``,
    ``dC/dh_0 = delta_1 W_h``.
    """

    name = "rnn"

    def __init__(self, activation: Any):
        self.activation = activation
        self._grads: tuple[Any, tuple[np.ndarray | None, ...], tuple[np.ndarray, ...] | None] | None = None

    def value(self, X, h0, W_x, W_h, b):
        m, T, _ = X.shape
        self.Z = np.empty((m, T, W_h.shape[0]))
        H = np.empty_like(self.Z)
        h = h0
        for t in range(T):  # code index t is the text's step t + 1
            self.Z[:, t] = X[:, t] @ W_x.T + h @ W_h.T + b
            h = H[:, t] = self.activation.value(self.Z[:, t])
        return H

    def jvp(self, dX, dh0, dW_x, dW_h, db):
        return self._forward_tangents(dX, dh0, dW_x, dW_h, db)[1]

    def _forward_tangents(self, dX, dh0, dW_x, dW_h, db):
        """The tangents of every ``z_t`` and ``h_t``: the forward recursion of the BPTT page's (T4)."""
        X, h0, W_x, W_h, _ = self.input_data
        H, slope = self.output_data, self.activation.derivative(self.Z, self.output_data)
        dZ, dH = np.empty_like(H), np.empty_like(H)
        h, dh = h0, dh0
        for t in range(X.shape[1]):  # dz_t = dx_t W_x^T + x_t dW_x^T + dh_{t-1} W_h^T + h_{t-1} dW_h^T + db
            dZ[:, t] = dX[:, t] @ W_x.T + X[:, t] @ dW_x.T + dh @ W_h.T + h @ dW_h.T + db
            dh = dH[:, t] = slope[:, t] * dZ[:, t]
            h = H[:, t]
        return dZ, dH

    def vjp(self, g, i):
        if self._grads is None or self._grads[0] is not g:  # one sweep back through time serves all five inputs
            grads = self._bptt(g.data)
            tangents = self._bptt_tangents(g) if _forward_mode(self.inputs, g) else None
            self._grads = (g, grads, tangents)
            self._served: set[int] = set()
        _, grads, tangents = self._grads
        self._served.add(i)
        if self._served >= {j for j, x in enumerate(self.inputs) if x.requires_grad}:
            self._grads = None  # every input that needs it has its share: release the sweep's arrays
        out = constant(grads[i])
        if tangents is not None:
            out.tangent = tangents[i]
        return out

    def _bptt(self, G: np.ndarray) -> tuple[np.ndarray | None, ...]:
        X, h0, W_x, W_h, b = self.input_data
        H = self.output_data
        slope = self.activation.derivative(self.Z, H)  # sigma'(z_t) for every step
        dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
        dX = np.zeros_like(X) if self.inputs[0].requires_grad else None  # X is data, often: then no dC/dX
        from_next = np.zeros_like(h0)  # delta_{t+1} W_h: nothing beyond the last step
        for t in reversed(range(X.shape[1])):
            dC_dh = G[:, t] + from_next  # the cost's own path to h_t, plus the path through h_{t+1}
            delta = dC_dh * slope[:, t]
            h_prev = H[:, t - 1] if t > 0 else h0
            dW_x += delta.T @ X[:, t]  # the T copies of each shared weight add up
            dW_h += delta.T @ h_prev
            db += delta.sum(axis=0)
            if dX is not None:
                dX[:, t] = delta @ W_x
            from_next = delta @ W_h
        return dX, from_next, dW_x, dW_h, db

    def _bptt_tangents(self, g: Tensor) -> tuple[np.ndarray, ...]:
        """Forward over reverse: the tangents of the five cotangents, each line of ``_bptt`` differentiated."""
        X, h0, W_x, W_h, b = self.input_data
        tX, th0, tW_x, tW_h, tb = (_tangent(x) for x in self.inputs)
        G, tG, H = g.data, _tangent(g), self.output_data
        tZ, tH = self._forward_tangents(tX, th0, tW_x, tW_h, tb)
        slope = self.activation.derivative(self.Z, H)
        t_slope = np.zeros_like(slope)  # with no input moving, z_t stands still (only g moves)
        if any(x.tangent is not None for x in self.inputs):
            try:
                t_slope = self.activation.second_derivative(self.Z, H) * tZ  # sigma'(z_t) moves with z_t
            except NotImplementedError:
                self.no_second_derivative(
                    f"rnn with the activation {self.activation.name!r}, which has no second_derivative"
                )
        out = [np.zeros_like(X), np.zeros_like(h0), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
        from_next, t_from_next = np.zeros_like(h0), np.zeros_like(h0)
        for t in reversed(range(X.shape[1])):
            dC_dh, t_dC_dh = G[:, t] + from_next, tG[:, t] + t_from_next
            delta = dC_dh * slope[:, t]
            t_delta = t_dC_dh * slope[:, t] + dC_dh * t_slope[:, t]
            h_prev, t_h_prev = (H[:, t - 1], tH[:, t - 1]) if t > 0 else (h0, th0)
            out[2] += t_delta.T @ X[:, t] + delta.T @ tX[:, t]
            out[3] += t_delta.T @ h_prev + delta.T @ t_h_prev
            out[4] += t_delta.sum(axis=0)
            out[0][:, t] = t_delta @ W_x + delta @ tW_x
            from_next, t_from_next = delta @ W_h, t_delta @ W_h + delta @ tW_h
        out[1] = t_from_next
        return tuple(out)


def rnn(X: Tensor, h0: Tensor, W_x: Tensor, W_h: Tensor, b: Tensor, activation: str = "tanh") -> Tensor:
    """An Elman recurrent network over a batch of sequences, returning every hidden state.

    Parameters
    ----------
    X : Tensor of shape (m, T, n_in)
        ``m`` sequences of ``T`` steps; ``X[:, t]`` holds the rows ``x_{t+1}``.
    h0 : Tensor of shape (m, n_h)
        The state before the first step.
    W_x : Tensor of shape (n_h, n_in)
        Input weights, (out, in) as every weight of the site.
    W_h : Tensor of shape (n_h, n_h)
        Recurrent weights: entry (i, j) carries unit j of ``h_{t-1}`` to unit i of ``z_t``.
    b : Tensor of shape (n_h,)
        The bias, broadcast over the rows.
    activation : str
        A registered element-wise activation (``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"identity"``).

    Returns
    -------
    Tensor of shape (m, T, n_h)
        ``h_1, ..., h_T``: ``[:, t]`` is ``h_{t+1}``. Its VJP is backprop through time.
    """
    args = {"X": X, "h0": h0, "W_x": W_x, "W_h": W_h, "b": b}
    for name, x in args.items():
        if not isinstance(x, Tensor):
            raise TypeError(f"rnn: {name} must be a Tensor; got {type(x).__name__}")
    if X.ndim != 3 or 0 in X.shape:
        raise ValueError(f"rnn: X must have shape (m, T, n_in) with every size >= 1; got shape {X.shape}")
    m, _, n_in = X.shape
    if W_h.ndim != 2 or W_h.shape[0] != W_h.shape[1] or W_h.shape[0] == 0:
        raise ValueError(f"rnn: W_h must be square, shape (n_h, n_h); got shape {W_h.shape}")
    n_h = W_h.shape[0]
    expected = {"h0": (m, n_h), "W_x": (n_h, n_in), "b": (n_h,)}
    for name, shape in expected.items():
        if args[name].shape != shape:
            raise ValueError(
                f"rnn: {name} must have shape {shape} (m = {m}, n_in = {n_in}, n_h = {n_h}); "
                f"got shape {args[name].shape}"
            )
    if not isinstance(activation, str):
        raise TypeError(f"rnn: activation must be the name of an activation; got {type(activation).__name__}")
    act = get_activation(activation, "hidden")
    return RNN(act)(X, h0, W_x, W_h, b)


def clip_grad_norm(tensors: Sequence[Tensor], max_norm: float) -> float:
    """Scale the gradients of ``tensors`` in place so that their joint norm is at most ``max_norm``.

    The norm is ``sqrt(sum of squares of every entry of every grad)``, taken over the tensors as one
    vector, so clipping shrinks all of them by the same factor and keeps the gradient's direction.
    Tensors whose ``grad`` is None are skipped; each clipped ``grad`` is replaced by the scaled array.
    The factor is exactly ``max_norm / norm`` (PyTorch's ``clip_grad_norm_`` adds 1e-6 to the norm).

    Returns
    -------
    float
        The norm before clipping.
    """
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"clip_grad_norm: tensors must be a list or tuple of Tensors; got {type(tensors).__name__}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"clip_grad_norm: tensors[{k}] must be a Tensor; got {type(t).__name__}")
    max_norm = positive_number(max_norm, "max_norm")
    with_grad = [t for t in tensors if t.grad is not None]
    if not with_grad:
        raise ValueError("clip_grad_norm: no tensor has a gradient; call backward() first")
    norm = _joint_norm([t.grad for t in with_grad])
    if not np.isfinite(norm):
        raise ValueError(f"clip_grad_norm: the gradients' norm is {norm}; clipping cannot repair inf or NaN")
    if norm > max_norm:
        for t in with_grad:  # a new array each: two tensors may share one gradient array (after +)
            t.grad = t.grad * (max_norm / norm)
    return norm


def _joint_norm(grads: list[np.ndarray]) -> float:
    """``sqrt`` of the sum of squares of every entry; rescaled first if the squares overflow."""
    with np.errstate(over="ignore"):
        squares = sum(float(np.sum(g * g)) for g in grads)
    if np.isinf(squares) and all(np.isfinite(g).all() for g in grads):
        big = max(float(np.abs(g).max()) for g in grads)
        return big * float(np.sqrt(sum(float(np.sum((g / big) ** 2)) for g in grads)))
    return float(np.sqrt(squares))
