"""A small reverse-mode automatic differentiation engine on NumPy arrays.

Karpathy's micrograd on arrays: each operation records its inputs and how to pull a gradient back
through itself, a vector-Jacobian product that never forms the Jacobian. ``backward()`` visits the
graph in reverse topological order and adds each consumer's contribution into its inputs with
``grad +=``: a node used by several consumers receives the sum over their paths, the total derivative.

Shapes follow the rest of the package: a batch is ``(m, n)``, one observation per row, and a bias of
shape ``(n,)`` broadcasts over the rows. No other broadcasting is allowed, so a shape mistake raises.

Examples
--------
>>> W = Tensor([[1.0, 2.0]], requires_grad=True)
>>> C = (Tensor([[3.0, 4.0]]) @ W.T).sum()
>>> C.backward()
>>> W.grad
array([[3., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from ._checks import matching_targets, rows_sum_to_one
from .activations import get_activation, log_softmax

Operand = Union["Tensor", float, int]
_Backward = Callable[[np.ndarray], Sequence[np.ndarray]]


class Tensor:
    """A float64 array that records the operations applied to it, for reverse-mode differentiation.

    Parameters
    ----------
    data : array_like
        Any shape; copied into a new float64 array.
    requires_grad : bool
        Whether ``backward()`` should fill ``grad`` for this tensor. Tensors computed from one that
        requires a gradient require one too.

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray or None
        ``dC/d(this tensor)`` after ``C.backward()``, same shape as ``data``; ``None`` before. Leaves
        (tensors you created) accumulate over successive ``backward()`` calls, like PyTorch: reset them
        with ``zero_grad()``. Intermediate tensors hold the gradient of the last ``backward()``.
    """

    __array_ufunc__ = None  # `ndarray * Tensor` must not turn into an object array: refuse it instead

    def __init__(self, data: ArrayLike, requires_grad: bool = False):
        if isinstance(data, Tensor):
            raise TypeError("data is already a Tensor; use it directly, or pass its .data to copy it")
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False; got {requires_grad!r}")
        self.data: np.ndarray = np.array(data, dtype=np.float64)
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._backward: _Backward | None = None

    @classmethod
    def _result(cls, data: np.ndarray, parents: tuple[Tensor, ...], backward: _Backward) -> Tensor:
        """A new node; it remembers its parents only if a gradient has to flow back to one of them."""
        out = cls(data)
        if any(p.requires_grad for p in parents):
            out.requires_grad, out._parents, out._backward = True, parents, backward
        return out

    def __repr__(self) -> str:
        return f"Tensor(shape={self.data.shape}, requires_grad={self.requires_grad})"

    # --- shape and linear algebra --------------------------------------------------------------

    @property
    def T(self) -> Tensor:
        """The transpose of a matrix, shape ``(n, m)`` for ``(m, n)``."""
        return Tensor._result(self.data.T, (self,), lambda g: (g.T,))

    def __matmul__(self, other: Tensor) -> Tensor:
        """``(m, k) @ (k, n) -> (m, n)``; pulls back ``g`` as ``g B^T`` and ``A^T g``."""
        if not isinstance(other, Tensor):
            raise TypeError(f"@ needs a Tensor on both sides; got {type(other).__name__}")
        A, B = self.data, other.data
        if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
            raise ValueError(f"@ needs matrices of shapes (m, k) and (k, n); got {A.shape} and {B.shape}")
        return Tensor._result(A @ B, (self, other), lambda g: (g @ B.T, A.T @ g))

    # --- element-wise arithmetic ---------------------------------------------------------------

    def __add__(self, other: Operand) -> Tensor:
        other = _as_tensor(other, "+")
        _check_broadcast(self.data.shape, other.data.shape, "+")
        return Tensor._result(
            self.data + other.data, (self, other), lambda g: (_sum_to(g, self.data.shape), _sum_to(g, other.data.shape))
        )

    def __mul__(self, other: Operand) -> Tensor:
        other = _as_tensor(other, "*")
        _check_broadcast(self.data.shape, other.data.shape, "*")
        a, b = self.data, other.data
        return Tensor._result(a * b, (self, other), lambda g: (_sum_to(g * b, a.shape), _sum_to(g * a, b.shape)))

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other: Operand) -> Tensor:
        return self + (-_as_tensor(other, "-"))

    def __radd__(self, other: Operand) -> Tensor:
        return _as_tensor(other, "+") + self

    def __rsub__(self, other: Operand) -> Tensor:
        return _as_tensor(other, "-") - self

    def __rmul__(self, other: Operand) -> Tensor:
        return _as_tensor(other, "*") * self

    # --- reductions ----------------------------------------------------------------------------

    def sum(self) -> Tensor:
        """The sum of all entries, shape ``()``; every entry receives the incoming gradient."""
        return Tensor._result(np.array(self.data.sum()), (self,), lambda g: (np.full(self.data.shape, g),))

    def mean(self) -> Tensor:
        """The mean of all entries, shape ``()``; every entry receives ``g / size``."""
        n = self.data.size
        return Tensor._result(np.array(self.data.mean()), (self,), lambda g: (np.full(self.data.shape, g / n),))

    # --- element-wise functions: their Jacobians are diagonal, so the VJP is a product ---------

    def relu(self) -> Tensor:
        """``max(z, 0)``; the derivative is taken as 0 at the kink ``z = 0``, as in ``activations``."""
        return Tensor._result(np.maximum(self.data, 0.0), (self,), lambda g: (g * (self.data > 0),))

    def sigmoid(self) -> Tensor:
        """``1 / (1 + exp(-z))``, with derivative ``a (1 - a)`` from the output itself."""
        a = get_activation("sigmoid").value(self.data)  # the package's sigmoid: no overflow for any z
        return Tensor._result(a, (self,), lambda g: (g * a * (1.0 - a),))

    def tanh(self) -> Tensor:
        """``tanh(z)``, with derivative ``1 - a**2``."""
        a = np.tanh(self.data)
        return Tensor._result(a, (self,), lambda g: (g * (1.0 - a * a),))

    def exp(self) -> Tensor:
        """``exp(z)``, its own derivative."""
        e = np.exp(self.data)
        return Tensor._result(e, (self,), lambda g: (g * e,))

    def log(self) -> Tensor:
        """Natural log of positive entries, derivative ``1 / x``."""
        if not np.all(self.data > 0):
            raise ValueError(f"log needs positive entries; got a minimum of {self.data.min()!r}")
        return Tensor._result(np.log(self.data), (self,), lambda g: (g / self.data,))

    # --- reverse mode --------------------------------------------------------------------------

    def _graph(self) -> list[Tensor]:
        """The nodes that need a gradient, each after all of its parents (iterative: no depth limit)."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen and node.requires_grad:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every tensor this scalar was computed from that requires a gradient.

        Raises ``ValueError`` if this tensor is not a scalar (shape ``()``) or requires no gradient.
        """
        if self.data.shape != ():
            raise ValueError(
                f"backward() needs a scalar of shape (); got shape {self.data.shape}: "
                "reduce it first with .sum() or .mean()"
            )
        if not self.requires_grad:
            raise ValueError("backward(): nothing to differentiate; no tensor it depends on has requires_grad=True")
        order = self._graph()
        for node in order:
            if node._parents:  # intermediate results start afresh; leaves keep accumulating
                node.grad = None
        self._accumulate(np.ones_like(self.data))  # dC/dC = 1
        for node in reversed(order):  # every consumer of a node comes before the node itself
            if node._backward is None or node.grad is None:
                continue
            for parent, g in zip(node._parents, node._backward(node.grad)):
                if parent.requires_grad:
                    parent._accumulate(g)

    def _accumulate(self, g: np.ndarray) -> None:
        # A node with several consumers is reached once per consumer: their paths add up here.
        if self.grad is None:
            self.grad = np.zeros_like(self.data)
        self.grad += g

    def zero_grad(self) -> None:
        """Set ``grad`` back to ``None`` on this tensor and on every tensor it was computed from."""
        for node in self._graph():
            node.grad = None


def softmax_cross_entropy(logits: Tensor, Y: ArrayLike) -> Tensor:
    """Mean cross-entropy ``-(1/m) sum_r sum_k Y_rk log softmax(z_r)_k`` of logits ``(m, n)``.

    Parameters
    ----------
    logits : Tensor of shape (m, n)
        The output pre-activations ``z_L``, one row per observation.
    Y : array_like of shape (m, n)
        Targets, each row summing to 1 (one-hot rows, say).

    Returns
    -------
    Tensor of shape ()
        Computed with log-softmax, finite for any logits. Its backward pass is fused:
        ``dC/dz = (softmax(z) - Y) / m``, the collapse derived on the output-layer page.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor; got {type(logits).__name__}")
    z = logits.data
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (m, n); got shape {z.shape}")
    m = z.shape[0]
    Y = matching_targets(Y, m, z.shape[1])
    rows_sum_to_one(Y, "Y", "the fused backward (softmax - Y)/m needs it")
    log_a = log_softmax(z)
    a = np.exp(log_a)
    return Tensor._result(np.array(-np.sum(Y * log_a) / m), (logits,), lambda g: (g * (a - Y) / m,))


def _as_tensor(x: Operand, op: str) -> Tensor:
    """A Tensor stays; a plain number becomes a constant; anything else is refused."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Tensor(float(x))
    raise TypeError(
        f"{op} takes a Tensor or a plain number on either side; got {type(x).__name__} (wrap arrays in Tensor)"
    )


def _check_broadcast(a: tuple[int, ...], b: tuple[int, ...], op: str) -> None:
    """Equal shapes, a scalar, or a bias ``(n,)`` against rows ``(m, n)``; anything else raises."""
    if a == b or a == () or b == ():
        return
    if (len(a), len(b)) in ((1, 2), (2, 1)) and a[-1] == b[-1]:
        return
    raise ValueError(f"{op} needs equal shapes, a scalar, or a bias (n,) with rows (m, n); got {a} and {b}")


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient over the axes that broadcasting added, back to the operand's ``shape``.

    A bias broadcast over m rows reached the cost along m paths, so its gradient sums the m rows.
    """
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g
