"""The engine's operations, each with its value, JVP and VJP side by side (protocol: ``core``).

``jvp`` works on NumPy arrays (the inputs' tangents in, the output's tangent out); ``vjp`` works on
Tensors (the output's cotangent ``g`` in, input ``i``'s cotangent out), so forward mode can run
through the backward pass. The numerics of the activations, the log-softmax and the fused
cross-entropy are not repeated here: the operations call ``activations`` and ``costs``.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .._checks import finite, matching_targets, rows_sum_to_one
from ..activations import Activation as ActivationFunction
from ..activations import get_activation, log_softmax
from ..costs import get_cost
from .core import Operation, Tensor, constant


def _sum_to_shape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` over the leading axes broadcasting added and the axes it stretched from 1."""
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and x.shape[k] != 1)
    return x.sum(axis=stretched, keepdims=True) if stretched else x


def _check_broadcast(a: tuple[int, ...], b: tuple[int, ...], op: str) -> None:
    """Equal shapes, a scalar, a vector ``(n,)`` against ``(..., n)``, or size-1 axes of a kept dimension."""
    if a == b or a == () or b == ():
        return
    if (len(a) == 1 and b[-1] == a[0]) or (len(b) == 1 and a[-1] == b[0]):
        return
    if len(a) == len(b) and all(x == y or x == 1 or y == 1 for x, y in zip(a, b)):
        return
    raise ValueError(
        f"{op} needs equal shapes, a scalar, a vector (n,) with (..., n), or size-1 axes (from keepdims=True); "
        f"got {a} and {b}"
    )


def _as_tensor(x: object, op: str) -> Tensor:
    """A Tensor stays; a plain number becomes a constant; anything else is refused."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Tensor(float(x))
    raise TypeError(
        f"{op} takes a Tensor or a plain number on either side; got {type(x).__name__} (wrap arrays in Tensor)"
    )


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for k in items:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"axis must be None, an int or a tuple of ints; got {axis!r}")
        if not -ndim <= k < ndim:
            raise ValueError(f"axis {k} is out of range for a tensor with {ndim} dimensions")
        out.append(int(k) % ndim)
    return tuple(sorted(set(out)))


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if k in axes else n for k, n in enumerate(shape))


# --- arithmetic -----------------------------------------------------------------------------------


class Add(Operation):
    name = "+"
    saves_inputs = False

    def value(self, a, b):
        return a + b

    def jvp(self, da, db):
        return da + db

    def vjp(self, g, i):
        return g  # the framework sums it back to a broadcast input's shape


class Sub(Operation):
    name = "-"
    saves_inputs = False

    def value(self, a, b):
        return a - b

    def jvp(self, da, db):
        return da - db

    def vjp(self, g, i):
        return g if i == 0 else -g


class Neg(Operation):
    name = "unary -"
    saves_inputs = False

    def value(self, a):
        return -a

    def jvp(self, da):
        return -da

    def vjp(self, g, i):
        return -g


class Mul(Operation):
    name = "*"

    def value(self, a, b):
        return a * b

    def jvp(self, da, db):  # d(ab) = da b + a db
        a, b = self.input_data
        return da * b + a * db

    def vjp(self, g, i):  # dC/da = g * b, dC/db = g * a
        a, b = self.inputs
        return g * b if i == 0 else g * a


class Div(Operation):
    name = "/"

    def value(self, a, b):
        if not np.all(b != 0):
            raise ValueError(f"/ by a Tensor with {int(np.sum(b == 0))} zero entries")
        return a / b

    def jvp(self, da, db):  # d(a/b) = da / b - (a/b) db / b
        b = self.input_data[1]
        return (da - self.output_data * db) / b

    def vjp(self, g, i):
        a, b = self.inputs
        return g / b if i == 0 else -(g * a) / (b * b)


class Pow(Operation):
    """``x ** p`` for a number ``p``; a fractional ``p`` needs ``x >= 0``, a negative one ``x != 0``."""

    name = "**"

    def __init__(self, p: float):
        self.p = p

    def value(self, x):
        if self.p != int(self.p) and np.any(x < 0):
            raise ValueError(f"** {self.p} needs non-negative entries; got a minimum of {float(x.min())!r}")
        if self.p < 0 and np.any(x == 0):
            raise ValueError(f"** {self.p} of a Tensor with zero entries")
        return x**self.p

    def jvp(self, dx):
        if self.p == 0:  # x ** 0 is the constant 1, also at x = 0 (where x ** -1 is not defined)
            return np.zeros_like(dx)
        (x,) = self.input_data
        if self.p < 1 and np.any(x == 0):
            raise ValueError(f"** {self.p} has no derivative at 0; the input has {int(np.sum(x == 0))} zero entries")
        return self.p * x ** (self.p - 1) * dx

    def vjp(self, g, i):
        (x,) = self.inputs
        if self.p == 0:
            return g * 0.0
        zeros = int(np.sum(x.data == 0))
        if self.p < 1 and zeros:
            raise ValueError(f"** {self.p} has no derivative at 0; the input has {zeros} zero entries")
        return g * (x ** (self.p - 1) * self.p) if self.p != 1 else g


class MatMul(Operation):
    """``(m, k) @ (k, n) -> (m, n)``: the VJPs are ``g B^T`` (equation (5)) and ``A^T g``.

    ``A^T g`` is the cotangent of ``B``; for ``B = W^T`` it is the weight gradient transposed.
    """

    name = "@"

    def value(self, A, B):
        if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
            raise ValueError(f"@ needs matrices of shapes (m, k) and (k, n); got {A.shape} and {B.shape}")
        return A @ B

    def jvp(self, dA, dB):  # d(AB) = dA B + A dB: two products like the value's; one with no tangent is skipped
        A, B = self.input_data
        if not self.has_tangent(1):
            return self.value(dA, B)
        return self.value(A, dB) if not self.has_tangent(0) else self.value(dA, B) + self.value(A, dB)

    def vjp(self, g, i):
        A, B = self.inputs
        return g @ B.T if i == 0 else A.T @ g


# --- shape -------------------------------------------------------------------------------------


class Transpose(Operation):
    name = "T"
    saves_inputs = False
    returns_view = True  # no copy: a change to x after the forward pass is caught by the shared version

    def value(self, x):
        return x.T

    def jvp(self, dx):
        return dx.T

    def vjp(self, g, i):
        return g.T


class Reshape(Operation):
    name = "reshape"
    saves_inputs = False

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def value(self, x):
        try:
            return x.reshape(self.shape).copy()
        except ValueError:
            raise ValueError(f"reshape cannot turn shape {x.shape} into {self.shape}") from None

    def jvp(self, dx):
        return dx.reshape(self.output_data.shape)

    def vjp(self, g, i):
        return g.reshape(self.inputs[0].shape)


class GetItem(Operation):
    """``x[index]`` with basic slices and integer arrays; the VJP scatters ``g`` back (``ScatterAdd``)."""

    name = "indexing"
    saves_inputs = False

    def __init__(self, index: Any):
        self.index = index

    def value(self, x):
        return np.array(x[self.index], dtype=np.float64)

    def jvp(self, dx):
        return dx[self.index]

    def vjp(self, g, i):
        return ScatterAdd(self.index, self.inputs[0].shape)(g)


class ScatterAdd(Operation):
    """The adjoint of indexing: a zero array of ``shape`` with ``g`` added at ``index`` (repeats add up)."""

    name = "scatter-add"
    saves_inputs = False

    def __init__(self, index: Any, shape: tuple[int, ...]):
        self.index, self.shape = index, shape

    def value(self, g):
        out = np.zeros(self.shape)
        np.add.at(out, self.index, g)
        return out

    def jvp(self, dg):
        return self.value(dg)

    def vjp(self, g, i):
        return GetItem(self.index)(g)


class Sum(Operation):
    name = "sum"
    saves_inputs = False

    def __init__(self, axis: Any = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def value(self, x):
        self.axes = _axes(self.axis, x.ndim)
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def jvp(self, dx):
        return np.sum(dx, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g, i):  # every summed entry receives the incoming gradient
        shape = self.inputs[0].shape
        return BroadcastTo(shape)(g.reshape(_kept(shape, self.axes)))


class Mean(Operation):
    name = "mean"
    saves_inputs = False

    def __init__(self, axis: Any = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def value(self, x):
        self.axes = _axes(self.axis, x.ndim)
        self.count = int(np.prod([x.shape[k] for k in self.axes]))
        if self.count == 0:
            raise ValueError(
                f"mean over an empty axis: shape {x.shape}, axis {self.axis!r}; there is nothing to average"
            )
        return np.mean(x, axis=self.axes, keepdims=self.keepdims)

    def jvp(self, dx):
        return np.mean(dx, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g, i):  # every entry receives g / count
        shape = self.inputs[0].shape
        return BroadcastTo(shape)(g.reshape(_kept(shape, self.axes))) * (1.0 / self.count)


class Max(Operation):
    """The largest entry along ``axis``; the gradient goes to the largest entries (split between ties)."""

    name = "max"

    def __init__(self, axis: Any = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def value(self, x):
        self.axes = _axes(self.axis, x.ndim)
        if x.size == 0:
            raise ValueError(f"max of an empty tensor (shape {x.shape}) has no value")
        kept = np.max(x, axis=self.axes, keepdims=True)
        mask = (x == kept).astype(np.float64)
        self.share = mask / mask.sum(axis=self.axes, keepdims=True)  # where the derivative goes
        return kept if self.keepdims else kept.reshape([n for k, n in enumerate(x.shape) if k not in self.axes])

    def jvp(self, dx):
        # At a tie the maximum has no derivative; the convention, shared with vjp, splits it evenly:
        # the tangent is the mean of the tied entries' tangents (the one-sided derivative would be
        # their largest).
        return np.sum(self.share * dx, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g, i):
        shape = self.inputs[0].shape
        return BroadcastTo(shape)(g.reshape(_kept(shape, self.axes))) * constant(self.share)


class BroadcastTo(Operation):
    """Copies of ``x`` along the axes it lacks or has of size 1; the adjoint of ``SumTo``."""

    name = "broadcast"
    saves_inputs = False

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def value(self, x):
        return np.broadcast_to(x, self.shape).copy()

    def jvp(self, dx):
        return np.broadcast_to(dx, self.shape).copy()

    def vjp(self, g, i):
        return SumTo(self.inputs[0].shape)(g)


class SumTo(Operation):
    """Sum over the axes broadcasting added or stretched: a bias reached by ``m`` rows gets their sum."""

    name = "sum_to"
    saves_inputs = False

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def value(self, x):
        return _sum_to_shape(x, self.shape)

    def jvp(self, dx):
        return _sum_to_shape(dx, self.shape)

    def vjp(self, g, i):
        return BroadcastTo(self.inputs[0].shape)(g)


# --- element-wise functions: a diagonal Jacobian, so both rules are products -------------------


class Exp(Operation):
    name = "exp"
    saves_inputs = False
    saves_output = True

    def value(self, x):
        with np.errstate(over="ignore"):
            e = np.exp(x)
        if not np.isfinite(e).all():
            raise ValueError(f"exp overflows float64 above 709.78; got an entry of {float(x.max())!r}")
        return e

    def jvp(self, dx):
        return self.output_data * dx

    def vjp(self, g, i):
        return g * self.output


class Sin(Operation):
    name = "sin"

    def value(self, x):
        return np.sin(x)

    def jvp(self, dx):
        return np.cos(self.input_data[0]) * dx

    def vjp(self, g, i):
        return g * self.inputs[0].cos()


class Cos(Operation):
    name = "cos"

    def value(self, x):
        return np.cos(x)

    def jvp(self, dx):
        return -np.sin(self.input_data[0]) * dx

    def vjp(self, g, i):
        return -(g * self.inputs[0].sin())


class Log(Operation):
    name = "log"

    def value(self, x):
        if not np.all(x > 0):
            raise ValueError(f"log needs positive entries; got a minimum of {float(x.min())!r}")
        return np.log(x)

    def jvp(self, dx):
        return dx / self.input_data[0]

    def vjp(self, g, i):
        return g / self.inputs[0]


class Sqrt(Operation):
    name = "sqrt"
    saves_inputs = False
    saves_output = True

    def value(self, x):
        if not np.all(x > 0):
            raise ValueError(
                f"sqrt needs positive entries (its derivative is infinite at 0); got a minimum of {float(x.min())!r}"
            )
        return np.sqrt(x)

    def jvp(self, dx):
        return dx / (2.0 * self.output_data)

    def vjp(self, g, i):
        return g / (self.output * 2.0)


class Activation(Operation):
    """A registered element-wise activation, e.g. ``relu``: its value and derivative come from ``activations``.

    The VJP is ``g * sigma'(z)``. For forward mode through it (``hvp``) the tensor ``sigma'(z)``
    carries the tangent ``sigma''(z) dz``, so the activation must define ``second_derivative``.
    """

    saves_output = True

    def __init__(self, activation: ActivationFunction):
        self.activation = activation
        self.name = activation.name

    def value(self, z):
        return self.activation.value(z)

    def jvp(self, dz):
        return self.activation.derivative(self.input_data[0], self.output_data) * dz

    def vjp(self, g, i):
        (z,), a = self.inputs, self.output
        if z.tangent is None and g.tangent is None:  # reverse mode alone: the activation's own backward
            with np.errstate(over="ignore", invalid="ignore"):  # refused just below, in our words
                ct = self.activation.backward(g.data, z.data, a.data)  # g * sigma'(z)
            return constant(finite(ct, f"the cotangent of {self.name}"))
        slope = constant(self.activation.derivative(z.data, a.data))
        if z.tangent is not None:  # forward over reverse: the slope moves with z
            try:
                curvature = self.activation.second_derivative(z.data, a.data)
            except NotImplementedError:
                self.no_second_derivative(f"the activation {self.name!r}, which has no second_derivative")
            slope.tangent = curvature * z.tangent
        return g * slope


class LogSoftmax(Operation):
    """``log softmax(z)`` along ``axis``; the value comes from ``activations.log_softmax``."""

    name = "log_softmax"
    saves_inputs = False
    saves_output = True

    def __init__(self, axis: int = -1):
        self.axis = axis

    def value(self, z):
        (self.axis_,) = _axes(self.axis, z.ndim)
        return np.moveaxis(log_softmax(np.moveaxis(z, self.axis_, -1)), -1, self.axis_)

    def jvp(self, dz):  # d log a_k = dz_k - sum_c a_c dz_c
        a = np.exp(self.output_data)
        return dz - np.sum(a * dz, axis=self.axis_, keepdims=True)

    def vjp(self, g, i):  # dC/dz_c = g_c - a_c sum_k g_k
        return g - self.output.exp() * g.sum(axis=self.axis_, keepdims=True)


class SoftmaxCrossEntropy(Operation):
    """The fused cross-entropy of logits ``(m, n)`` with targets ``Y``; the value comes from ``costs``.

    Its VJP is ``g (softmax(z) - Y) / m``, the collapse derived at the output layer's step IV, which
    needs every row of ``Y`` to sum to 1 (checked).
    """

    name = "softmax_cross_entropy"

    def __init__(self, Y: np.ndarray):
        self.Y = Y

    def value(self, z):
        return np.array(get_cost("cross_entropy").value_from_logits(z, self.Y))

    def jvp(self, dz):
        z = self.input_data[0]
        return np.sum((np.exp(log_softmax(z)) - self.Y) * dz) / z.shape[0]

    def vjp(self, g, i):
        z = self.inputs[0]
        return (z.log_softmax().exp() - constant(self.Y)) * (g * (1.0 / z.shape[0]))


# --- the functions and methods a reader calls ---------------------------------------------------


def softmax_cross_entropy(logits: Tensor, Y: Any) -> Tensor:
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
        ``dC/dz = (softmax(z) - Y) / m`` when C is the root (times the incoming cotangent
        otherwise), the collapse derived at the output layer's step IV.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor; got {type(logits).__name__}")
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"logits must have shape (m, n) with m >= 1; got shape {logits.shape}")
    m, n = logits.shape
    Y = matching_targets(Y, m, n)
    rows_sum_to_one(Y, "Y", "the fused backward (softmax - Y)/m needs it")
    return SoftmaxCrossEntropy(Y)(logits)


def binary(op: type[Operation], left: object, right: object) -> Tensor:
    """``op`` applied to two operands, a plain number on either side becoming a constant."""
    a, b = _as_tensor(left, op.name), _as_tensor(right, op.name)
    _check_broadcast(a.shape, b.shape, op.name)
    return op()(a, b)


def activation(z: Tensor, name: str) -> Tensor:
    """The registered element-wise activation called ``name`` applied to ``z`` (``bp.register_activation``)."""
    if not isinstance(z, Tensor):
        raise TypeError(f"z must be a Tensor; got {type(z).__name__}")
    act = get_activation(name)
    if name == "softmax":
        return z.softmax()
    return Activation(act)(z)
