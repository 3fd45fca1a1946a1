"""The functional API: ``jvp``, ``vjp``, ``grad``, ``hvp`` and ``checkpoint``.

``f`` is a Python function from Tensors to a Tensor, written with the engine's operations. The
primals and vectors are array-likes (or Tensors, whose values are used); results are NumPy arrays.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .core import Operation, Tensor, _recording, _tensor_data, backpropagate, constant, no_grad

Function = Callable[..., Tensor]


def _arrays(xs: object, name: str) -> list[np.ndarray]:
    """A tuple or list of array-likes as finite float64 arrays."""
    if not isinstance(xs, (tuple, list)):
        raise TypeError(f"{name} must be a tuple or list of arrays, one per argument of f; got {type(xs).__name__}")
    return [x.data.copy() if isinstance(x, Tensor) else _tensor_data(x, f"{name}[{k}]") for k, x in enumerate(xs)]


def _paired(primals: object, vectors: object, name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ps, vs = _arrays(primals, "primals"), _arrays(vectors, name)
    if len(ps) != len(vs):
        raise ValueError(f"{name} needs one array per primal: {len(ps)} primals, {len(vs)} {name}")
    for k, (p, v) in enumerate(zip(ps, vs)):
        if p.shape != v.shape:
            raise ValueError(f"{name}[{k}] must have the shape of primals[{k}], {p.shape}; got {v.shape}")
    return ps, vs


def _output(out: object) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor; got {type(out).__name__}")
    return out


def jvp(f: Function, primals: Sequence[ArrayLike], tangents: Sequence[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """Forward mode: ``f(*primals)`` and its directional derivative ``J v``, in one pass.

    Each input carries its tangent alongside its value (a dual number ``x + v eps``); every
    operation's JVP rule turns its inputs' tangents into its output's. Returns ``(value, tangent)``.
    """
    ps, vs = _paired(primals, tangents, "tangents")
    xs = [Tensor._wrap(p, v) for p, v in zip(ps, vs)]
    with no_grad():  # nothing is recorded: forward mode stores no graph
        out = _output(f(*xs))
    return out.data, out.tangent if out.tangent is not None else np.zeros(out.shape)


def vjp(f: Function, *primals: ArrayLike) -> tuple[np.ndarray, Callable[[ArrayLike], tuple[np.ndarray, ...]]]:
    """Reverse mode: ``f(*primals)`` and its pullback ``u -> (u J_1, u J_2, ...)``, one cotangent per primal.

    The pullback can be called many times (the graph is kept); ``u`` must have the output's shape.
    ``vjp`` copies each primal before recording, and the kept graph holds every array the forward
    pass recorded for as long as the pullback lives: both count in its memory (measured on the
    memory page, ``autodiff/memory.md``).
    """
    xs = [Tensor._wrap(p) for p in _arrays(list(primals), "primals")]
    for x in xs:
        x.requires_grad = True
    out = _output(f(*xs))

    def pullback(u: ArrayLike) -> tuple[np.ndarray, ...]:
        seed = _tensor_data(u, "u")
        if seed.shape != out.shape:
            raise ValueError(f"u must have the output's shape {out.shape}; got shape {seed.shape}")
        if not out.requires_grad:
            return tuple(np.zeros(x.shape) for x in xs)
        cts = backpropagate(out, Tensor._wrap(seed), keep=xs)
        return tuple(cts[x].data if x in cts else np.zeros(x.shape) for x in xs)

    return out.data, pullback


def grad(f: Function, argnum: int = 0) -> Callable[..., np.ndarray]:
    """The function ``x -> df/dx`` for a scalar-valued ``f``, with respect to argument ``argnum``."""

    def gradient(*primals: ArrayLike) -> np.ndarray:
        value, pullback = vjp(f, *primals)
        if value.shape != ():
            raise ValueError(f"grad needs f to return a scalar of shape (); got shape {value.shape}")
        if not 0 <= argnum < len(primals):
            raise ValueError(f"argnum {argnum} is out of range for {len(primals)} arguments")
        return pullback(np.ones(()))[argnum]

    return gradient


def hvp(f: Function, primals: Sequence[ArrayLike], vector: Sequence[ArrayLike]) -> tuple[np.ndarray, ...]:
    """Hessian-vector product ``H v`` of a scalar-valued ``f`` by forward-over-reverse.

    The inputs carry ``v`` as their tangent through the forward pass, and every cotangent of the
    backward pass carries its own tangent: the directional derivative of the gradient along ``v``,
    which is ``H v``. Most VJP rules are written with engine operations, so the tangent comes with
    them; three set it by hand: an activation's (a NumPy slope ``sigma'(z)`` whose tangent is
    ``sigma''(z) z_dot``), attention's and the RNN's (NumPy). At a pre-activation exactly at a ReLU
    kink it uses ``sigma'(0) = sigma''(0) = 0``, the ``z < 0`` side's values whatever direction ``v``
    points, and drops the Dirac term of ``sigma''``: right along a ``v`` that moves ``z`` negative,
    wrong along one that moves it positive (``relu(a) * b`` at ``a = 0``, ``v_a > 0``: the ``b`` part
    is 0, not ``v_a``, and the ``a`` part has no derivative, ``df/da`` jumping from 0 to ``b``), with
    no warning. It raises
    ``NotImplementedError`` naming the operation where a VJP gives no tangent: an activation that
    defines no ``second_derivative``, applied alone or inside ``rnn`` (the built-in ones all define
    it), or an operation of your own whose VJP returns ``constant(...)`` without one (never zeros in
    silence). Its other refusals concern the arguments: ``ValueError`` for an ``f`` whose value is
    not a scalar or a vector not shaped like the primals, ``TypeError`` for an ``f`` that returns no
    ``Tensor``.

    One forward and one backward pass, each matrix product gaining one or two tangent products: for
    a dense network whose parameters, not its input, carry tangents and whose cost (such as the
    softmax cross-entropy, after the last product) does no matrix product, ``3 - 2 F1 / (3 F - F1)`` times a
    gradient's matrix-product multiply-adds under this engine's rules (``F`` the forward pass's, ``F1`` its
    first layer's): 2 with no hidden layer, nearing 3 as ``F1 / F`` shrinks. That is
    bookkeeping of this engine's operations, not a measurement of cost and not evidence about other
    engines: element-wise work, the hand-written NumPy tangents, time and memory (a tangent beside
    every stored array) are not in it. The Hessian is never formed. Returns one array per primal.
    """
    ps, vs = _paired(primals, vector, "vector")
    xs = [Tensor._wrap(p, v) for p, v in zip(ps, vs)]
    for x in xs:
        x.requires_grad = True
    out = _output(f(*xs))
    if out.shape != ():
        raise ValueError(f"hvp needs f to return a scalar of shape (); got shape {out.shape}")
    if not out.requires_grad:
        return tuple(np.zeros(x.shape) for x in xs)
    cts = backpropagate(out, Tensor._wrap(np.ones(())), keep=xs)
    result = []
    for x in xs:
        ct = cts.get(x)
        result.append(ct.tangent if ct is not None and ct.tangent is not None else np.zeros(x.shape))
    return tuple(result)


def _cotangent_of(leaf: Tensor, cts: dict) -> Tensor | None:
    """The cotangent a recomputation gave ``leaf``; None for a leaf needing no gradient (never asked).

    Zeros are built only here, for an input ``f`` ignores: a default built for every leaf would be a
    whole array per input at the memory peak.
    """
    if leaf in cts:
        return cts[leaf]
    return Tensor._wrap(np.zeros(leaf.shape)) if leaf.requires_grad else None  # exact zero, tangent zero


class Checkpoint(Operation):
    """``f`` as one operation that stores only its inputs: its VJP runs ``f`` again, recorded, and backpropagates."""

    name = "checkpoint"

    def __init__(self, f: Function):
        self.f = f
        # (the cotangent g it was computed for, weakly: holding g would keep it alive; the input cotangents)
        self._cache: tuple[weakref.ref[Tensor], list[Tensor | None]] | None = None

    def value(self, *xs):
        with no_grad():  # the intermediates of f are dropped as soon as f returns
            return _output(self.f(*[constant(x) for x in xs])).data

    def jvp(self, *dxs):
        return jvp(self.f, list(self.input_data), list(dxs))[1]

    def vjp(self, g, i):
        if self._cache is None or self._cache[0]() is not g or self._cache[1][i] is None:
            # Recompute f, recorded this time, and backpropagate through it: once per backward pass.
            leaves = [Tensor._wrap(t.data, t.tangent) for t in self.inputs]
            for leaf, t in zip(leaves, self.inputs):
                leaf.requires_grad = t.requires_grad
            with _recording():
                out = _output(self.f(*leaves))
            cts = backpropagate(out, g, keep=leaves) if out.requires_grad else {}
            self._cache = (weakref.ref(g), [_cotangent_of(leaf, cts) for leaf in leaves])
        cotangent = self._cache[1][i]
        self._cache[1][i] = None  # handed over: the operation keeps no gradient after the pass
        assert cotangent is not None
        return cotangent


def checkpoint(f: Function, *inputs: Tensor) -> Tensor:
    """``f(*inputs)``, storing none of ``f``'s intermediate results for the backward pass.

    During the backward pass (``backward()`` or a ``vjp`` pullback) the operation runs ``f`` again
    from its inputs and backpropagates through that recomputation: memory traded for one more
    forward pass of ``f`` (Chen et al. 2016). The gradients are the same as without it.
    """
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"checkpoint: input {k} must be a Tensor; got {type(t).__name__}")
    return Checkpoint(f)(*inputs)
