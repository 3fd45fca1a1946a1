"""The engine's core: ``Tensor``, the ``Operation`` protocol, and the two passes that use it.

Every operation is one subclass of :class:`Operation` holding its three rules side by side:

* ``value(*arrays)``: the output, from the inputs' NumPy arrays;
* ``jvp(*tangents)``: the output's tangent from the inputs' tangents (forward mode, NumPy arrays;
  an input without a tangent gets zeros);
* ``vjp(g, i)``: the cotangent of input ``i`` from the output's cotangent ``g`` (reverse mode). It
  is written with engine operations on Tensors (``self.inputs``, ``self.output``), so that forward
  mode can run through the backward pass: that is what makes ``hvp`` (forward-over-reverse) work.

Worked example: the product ``a * b``, as :class:`backprop_derived.autodiff.ops.Mul` writes it::

    class Mul(Operation):
        name = "*"

        def value(self, a, b):
            return a * b

        def jvp(self, da, db):            # d(ab) = da b + a db
            a, b = self.input_data
            return da * b + a * db

        def vjp(self, g, i):              # dC/da = g * b and dC/db = g * a
            a, b = self.inputs
            return g * b if i == 0 else g * a

    product = Mul()(x, y)                 # calling an instance applies it to Tensors

The framework does the rest, so a rule never repeats it:

* it calls ``vjp(g, i)`` only for an input that requires a gradient (no work nobody asked for);
* it sums a cotangent back to its input's shape when the input was broadcast (a bias ``(n,)`` over
  ``m`` rows gets the sum of the ``m`` rows: ``sum_to``);
* it adds the cotangents of a tensor used by several consumers (the sum over paths);
* it refuses a non-finite result or tangent, naming the operation (no NaN passed on);
* it refuses a second application of one instance (each instance records one application);
* it records each saved tensor's version, and ``backward()`` raises if one was modified since.

Set ``saves_inputs = False`` when ``vjp`` does not read the inputs' values (``+``, ``sum``,
``reshape``): changing such an input after the forward pass is then harmless and not refused. Set
``saves_output = True`` when ``vjp`` reads ``self.output`` (``exp``, ``sigmoid``).

A rule whose VJP can only be written in NumPy wraps its array with ``constant(array)``; forward mode
cannot run through it, so ``hvp`` through that operation raises ``NotImplementedError`` naming it
(``backpropagate`` refuses a ``constant`` cotangent without a tangent while tangents are carried).
To support ``hvp``, set the cotangent's ``tangent`` yourself (``autodiff/sequence.py`` does, for
attention and ``rnn``; ``autodiff/ops.py`` for an activation's slope). A ``vjp`` that returns
anything but a Tensor is refused with a ``TypeError`` naming it.

Other modules of the package add operations the same way (``autodiff/norm.py``,
``autodiff/conv.py``, ``autodiff/sequence.py``) and export a function that applies them, e.g.
``def batch_norm(x, gamma, beta): return BatchNorm()(x, gamma, beta)``.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Collection, Iterator
from numbers import Real
from typing import Any, ClassVar, NoReturn, Union

import numpy as np
from numpy.typing import ArrayLike

Operand = Union["Tensor", float, int]
_state = {"recording": True}


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block no operation is recorded: results require no gradient (forward mode still works)."""
    before = _state["recording"]
    _state["recording"] = False
    try:
        yield
    finally:
        _state["recording"] = before


def recording() -> bool:
    """Whether operations are being recorded now (False inside ``no_grad()`` and the backward pass)."""
    return _state["recording"]


@contextlib.contextmanager
def _recording() -> Iterator[None]:
    before = _state["recording"]
    _state["recording"] = True
    try:
        yield
    finally:
        _state["recording"] = before


def _tensor_data(data: object, name: str = "data", copy: bool = True) -> np.ndarray:
    """``data`` as a finite float64 array, or a TypeError/ValueError in our words (not NumPy's).

    A new array, unless ``copy`` is False and ``data`` is already a float64 ndarray.
    """
    if isinstance(data, Tensor):
        raise TypeError(f"{name} is already a Tensor; use it directly, or pass its .data to copy it")
    if data is None:
        raise TypeError(f"{name} must be a number or an array of numbers; got None")
    if isinstance(data, (str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers; got the string {data!r}")
    try:
        raw = np.asarray(data)
    except ValueError:
        raise ValueError(
            f"{name} must be a rectangular array of numbers; got a ragged sequence (rows of different lengths)"
        ) from None
    if raw.dtype.kind not in "biuf":
        kinds = {"c": "complex numbers", "O": "objects", "U": "strings", "S": "bytes"}
        got = kinds.get(raw.dtype.kind, f"dtype {raw.dtype}")
        raise TypeError(f"{name} must hold real numbers (float, int or bool); got {got}")
    arr = raw if not copy and raw is data and raw.dtype == np.float64 else np.array(raw, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf; a Tensor holds finite numbers only")
    return arr


class Tensor:
    """A float64 array that records the operations applied to it, for both modes of differentiation.

    Parameters
    ----------
    data : array_like
        Finite real numbers of any shape; copied into a new float64 array.
    requires_grad : bool
        Whether ``backward()`` should fill ``grad`` for this tensor. Results computed from one that
        requires a gradient require one too (outside ``no_grad()``).
    copy : bool
        With ``False``, a float64 ndarray is used as it is, not copied (like ``torch.as_tensor``):
        for a large input read once, such as a batch of data. Changing that array in place
        afterwards, before ``backward()``, changes the tensor too, and no error tells you (the
        version check sees only assignments to ``data``). Any other ``data`` is converted, a copy.

    Attributes
    ----------
    data : ndarray
        The value. Assigning to it (``W.data = ...`` or ``W.data -= lr * W.grad``) counts as a
        change: a recorded operation that needs the old value then refuses to run backward.
    grad : ndarray or None
        ``dC/d(this tensor)`` after ``C.backward()``, shape ``data.shape``; ``None`` before. Leaves
        (tensors you created) accumulate over successive ``backward()`` calls, like PyTorch: reset
        them with ``zero_grad()``. Intermediate tensors hold the gradient of the last ``backward()``.
    tangent : ndarray or None
        Forward mode: the directional derivative carried with the value (a dual number's second
        part); ``jvp`` sets it on the inputs and every operation propagates it.

    Memory: every recorded result keeps the operation that made it, and the operation keeps its
    input tensors, so the whole graph, every array of the forward pass, stays alive as long as the
    result does, whether or not a VJP reads it. That is more than reverse mode must store (the
    memory page counts both; see ``checkpoint`` for the trade against recomputation).
    """

    __array_ufunc__ = None  # `ndarray * Tensor` must not turn into an object array: refuse it instead
    __slots__ = ("__weakref__", "_data", "_numpy", "_op", "_versions", "grad", "requires_grad", "tangent")

    def __init__(self, data: ArrayLike, requires_grad: bool = False, copy: bool = True):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False; got {requires_grad!r}")
        if not isinstance(copy, bool):
            raise TypeError(f"copy must be True or False; got {copy!r}")
        self._data: np.ndarray = _tensor_data(data, copy=copy)
        self._versions = [0]
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self.tangent: np.ndarray | None = None
        self._op: Operation | None = None
        self._numpy = False  # made by constant(): an array computed in NumPy, with no tangent rule

    @classmethod
    def _wrap(cls, data: np.ndarray, tangent: np.ndarray | None = None) -> Tensor:
        """A tensor around an array the engine computed (already float64 and finite): no copy."""
        out = cls.__new__(cls)
        out._data, out._versions, out.requires_grad = data, [0], False
        out.grad, out.tangent, out._op, out._numpy = None, tangent, None, False
        return out

    @property
    def _version(self) -> int:
        """How many times this tensor's data was assigned, or that of a tensor it is a view of.

        A view (``W.T``) shares its base's counter, as in PyTorch: ``W.data -= lr * W.grad`` changes
        the view's entries in place too, so what saved the view must see that change.
        """
        return self._versions[0]

    @property
    def data(self) -> np.ndarray:
        """The value; assigning to it raises the tensor's version (see the class docstring)."""
        return self._data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != self._data.shape:
            raise ValueError(f"data must keep its shape {self._data.shape}; got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(
                "data contains NaN or inf after the assignment (a diverging update?); "
                "a Tensor holds finite numbers only"
            )
        self._data = arr
        self._versions[0] += 1  # operations that saved the old value will refuse to run backward

    @property
    def op(self) -> Operation | None:
        """The recorded operation that made this tensor, or ``None`` (a leaf, a constant, or made under ``no_grad``).

        Its ``name`` and its ``inputs`` (the tensors it was applied to) are the graph's edges; read
        them, never change them.
        """
        return self._op

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of entries of ``data``."""
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a scalar Tensor")
        return len(self._data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; got shape {self.shape}")
        return float(self._data.reshape(()))

    def detach(self) -> Tensor:
        """A new leaf with the same value, cut from the graph (no gradient flows through it)."""
        return Tensor._wrap(self._data.copy())

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, requires_grad={self.requires_grad})"

    # --- operations: each applies one Operation of ops.py, where its three rules are ----------

    def __add__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Add, self, other)

    def __radd__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Add, other, self)

    def __sub__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Sub, self, other)

    def __rsub__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Sub, other, self)

    def __mul__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Mul, self, other)

    def __rmul__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Mul, other, self)

    def __truediv__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Div, self, other)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return ops.binary(ops.Div, other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg()(self)

    def __pow__(self, p: float) -> Tensor:
        """``x ** p`` for a plain number ``p``."""
        if isinstance(p, bool) or not isinstance(p, Real):
            raise TypeError(f"** takes a plain number as the exponent; got {type(p).__name__}")
        return ops.Pow(float(p))(self)

    def __rpow__(self, base: object) -> Tensor:
        raise TypeError("number ** Tensor is not an operation of this engine; write (x * math.log(base)).exp()")

    def __matmul__(self, other: Tensor) -> Tensor:
        """``(m, k) @ (k, n) -> (m, n)``; both sides must be Tensors."""
        if not isinstance(other, Tensor):
            raise TypeError(f"@ needs a Tensor on both sides; got {type(other).__name__}")
        return ops.MatMul()(self, other)

    def __rmatmul__(self, other: object) -> Tensor:
        raise TypeError(f"@ needs a Tensor on both sides; got {type(other).__name__}")

    @property
    def T(self) -> Tensor:
        """The transpose, axes reversed: ``(n, m)`` for ``(m, n)``."""
        return ops.Transpose()(self)

    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape (one entry of ``shape`` may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape(tuple(shape))(self)

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slices and integer arrays; the gradient of a repeated index adds up."""
        if isinstance(index, Tensor):
            raise TypeError("index with integers, slices or integer arrays, not a Tensor")
        return ops.GetItem(index)(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: all); every summed entry receives the incoming gradient."""
        return ops.Sum(axis, keepdims)(self)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (None: all); an empty axis raises ValueError."""
        return ops.Mean(axis, keepdims)(self)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest entry over ``axis``; the gradient goes to it (split evenly between ties)."""
        return ops.Max(axis, keepdims)(self)

    def exp(self) -> Tensor:
        """``exp(x)``, its own derivative; an entry above 709.78 overflows and raises ValueError."""
        return ops.Exp()(self)

    def log(self) -> Tensor:
        """``log(x)`` of positive entries; derivative ``1 / x``."""
        return ops.Log()(self)

    def sqrt(self) -> Tensor:
        """``sqrt(x)`` of positive entries; derivative ``1 / (2 sqrt(x))``."""
        return ops.Sqrt()(self)

    def sin(self) -> Tensor:
        """``sin(x)``; derivative ``cos(x)``."""
        return ops.Sin()(self)

    def cos(self) -> Tensor:
        """``cos(x)``; derivative ``-sin(x)``."""
        return ops.Cos()(self)

    def activation(self, name: str) -> Tensor:
        """The registered activation called ``name`` (``bp.register_activation``), e.g. ``"relu"``."""
        return ops.activation(self, name)

    def relu(self) -> Tensor:
        """``max(z, 0)``; the derivative at the kink ``z = 0`` is taken as 0, as in ``activations``."""
        return ops.activation(self, "relu")

    def sigmoid(self) -> Tensor:
        """``1 / (1 + exp(-z))``, the registered activation; derivative ``a (1 - a)``."""
        return ops.activation(self, "sigmoid")

    def tanh(self) -> Tensor:
        """``tanh(z)``, the registered activation; derivative ``1 - a**2``."""
        return ops.activation(self, "tanh")

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``log softmax`` along ``axis``, finite for any finite input."""
        return ops.LogSoftmax(axis)(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """``softmax`` along ``axis``, as ``exp(log_softmax)``: no second copy of its rules."""
        return ops.LogSoftmax(axis)(self).exp()

    # --- reverse mode ---------------------------------------------------------------------------

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Fill ``grad`` of every tensor this one was computed from that requires a gradient.

        Parameters
        ----------
        grad : array_like, optional
            The seed cotangent ``dC/d(this tensor)``, of this tensor's shape: ``backward(v)``
            computes the vector-Jacobian product ``v^T J`` for every input. It may be left out only
            for a scalar of shape ``()``, where it is 1.
        """
        if grad is None:
            if self.shape != ():
                raise ValueError(
                    f"backward() without grad needs a scalar of shape (); this tensor has shape {self.shape}: "
                    "reduce it with .sum() or .mean(), or pass grad, an array of that shape"
                )
            seed = np.ones(())
        else:
            seed = _tensor_data(grad, "grad")
            if seed.shape != self.shape:
                raise ValueError(f"grad must have this tensor's shape {self.shape}; got shape {seed.shape}")
        if not self.requires_grad:
            raise ValueError("backward(): nothing to differentiate; no tensor it depends on has requires_grad=True")
        cotangents = backpropagate(self, Tensor._wrap(seed))
        for node, g in cotangents.items():
            if node._op is None and node.grad is not None:  # leaves accumulate
                node.grad = node.grad + g.data
            elif node._op is None:  # a leaf owns its gradient: a VJP may pass g on as it is, or a view of it
                node.grad = g.data.copy(order="K")  # keeps a transposed view's layout: a plain memcpy
            else:
                node.grad = g.data

    def zero_grad(self) -> None:
        """Set ``grad`` back to ``None`` on this tensor and on every tensor it was computed from."""
        for node in topological_order(self):
            node.grad = None


def topological_order(root: Tensor) -> list[Tensor]:
    """The recorded tensors ``root`` depends on (those requiring a gradient), each after all of its inputs.

    Its reverse is the order of the backward pass. Iterative, so there is no depth limit. A constant
    such as ``Tensor(X)`` is not listed; it appears only among some ``t.op.inputs``.

    To count the engine's multiply-adds, the site's pages replace ``autodiff.ops.MatMul.value``, through
    which every ``@`` between Tensors passes, by a counting wrapper and restore it afterwards; the fused
    convolution, attention and RNN operations multiply in NumPy and are not counted that way.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen and node.requires_grad:
            seen.add(id(node))
            stack.append((node, True))
            if node._op is not None:
                stack.extend((t, False) for t in reversed(node._op.inputs))  # first input first
    return order


def backpropagate(root: Tensor, seed: Tensor, keep: Collection[Tensor] | None = None) -> dict[Tensor, Tensor]:
    """Reverse mode: the cotangent of every tensor ``root`` depends on (that requires a gradient).

    ``seed`` is ``dC/d(root)``. Returns a dict from tensor to its cotangent, as a Tensor: if the
    seed and the recorded tensors carry tangents, the cotangents carry theirs (forward-over-reverse).
    With ``keep``, only those tensors' cotangents are returned, and every other one is dropped as
    soon as it has been passed on, so the backward pass holds only its frontier.
    """
    order = topological_order(root)
    kept = None if keep is None else {id(t) for t in keep}
    cotangents: dict[Tensor, Tensor] = {root: seed}
    with no_grad():  # the backward pass is not itself recorded
        for node in reversed(order):  # every consumer of a node comes before the node itself
            op = node._op
            g = cotangents.get(node) if kept is None or id(node) in kept else cotangents.pop(node, None)
            if op is None or g is None:
                continue
            op.check_versions()
            for i, parent in enumerate(op.inputs):
                if not parent.requires_grad:
                    continue  # no VJP for an input that needs no gradient
                ct = op.vjp(g, i)
                if not isinstance(ct, Tensor):
                    raise TypeError(
                        f"the VJP of {op.name} must return a Tensor (wrap a NumPy array with constant(...)); "
                        f"got {type(ct).__name__} for input {i}"
                    )
                if ct._numpy and ct.tangent is None and _forward_mode(op.inputs, g):
                    raise NotImplementedError(
                        f"hvp through {op.name}: its VJP returned constant(...) without a tangent, so forward mode "
                        "cannot run through it; write the VJP with engine operations, or set the cotangent's tangent"
                    )
                if ct.shape != parent.shape:
                    ct = sum_to(ct, parent.shape)  # a broadcast input: the rows it reached add up
                before = cotangents.get(parent)
                # A tensor with several consumers receives one cotangent per consumer: they add up.
                cotangents[parent] = ct if before is None else before + ct
    return cotangents


class Operation:
    """One differentiable operation; subclasses write ``value``, ``jvp`` and ``vjp`` (see the module docstring).

    Calling an instance on Tensors applies it: ``Mul()(x, y)``; make a new instance for every
    application, since it records that application's inputs. Per-call parameters (an axis, an
    exponent) go to the subclass's ``__init__``. After the call ``self.inputs`` holds the input
    tensors, ``self.input_data`` their arrays, ``self.output_data`` the result's array (for
    ``jvp``) and ``self.output`` the result as a Tensor (for ``vjp``).
    """

    name: str = "operation"  # a class attribute; an operation made per activation sets its own
    #: False when ``vjp`` does not read the inputs' values, so changing them later is harmless.
    saves_inputs: ClassVar[bool] = True
    #: True when ``vjp`` reads ``self.output``.
    saves_output: ClassVar[bool] = False
    #: True when ``value`` returns a view of its one input's array (no copy): the result then shares
    #: the input's version counter, so a change to either is seen by what saved the other.
    returns_view: ClassVar[bool] = False

    inputs: tuple[Tensor, ...]
    input_data: tuple[np.ndarray, ...]

    # The three rules. A subclass names its arguments (``def value(self, a, b)``).

    def value(self, *args: Any, **kwargs: Any) -> Any:
        """The output array from the inputs' arrays."""
        raise NotImplementedError

    def jvp(self, *args: Any, **kwargs: Any) -> Any:
        """The output's tangent from the inputs' tangents (arrays; zeros for an input without one)."""
        raise NotImplementedError(f"operation {self.name!r} has no forward-mode (JVP) rule")

    def vjp(self, *args: Any, **kwargs: Any) -> Any:
        """``vjp(g, i)``: input ``i``'s cotangent (a Tensor of its shape, or broadcastable to it) from ``g``."""
        raise NotImplementedError(f"operation {self.name!r} has no reverse-mode (VJP) rule")

    @property
    def output(self) -> Tensor:
        out = self._output() if self._output is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: the output is gone; set saves_output = True to use it in vjp")
        return out

    def __call__(self, *inputs: Tensor) -> Tensor:
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"{self.name}: input {k} must be a Tensor; got {type(t).__name__}")
        if "inputs" in self.__dict__:
            # A second application would overwrite the first one's inputs and output, silently
            # changing the gradient of every graph that recorded the first: refuse it instead.
            raise RuntimeError(
                f"this {self.name} operation was already applied once; an Operation instance records "
                f"one application, so make a new instance for each call ({type(self).__name__}(...))"
            )
        self.inputs = inputs
        self.input_data = tuple(t._data for t in inputs)
        with np.errstate(all="ignore"):  # an overflow is refused just below, in our words
            data = np.asarray(self.value(*self.input_data), dtype=np.float64)
        if not self.returns_view and not np.isfinite(data).all():  # a view of finite entries is finite
            raise ValueError(
                f"{self.name} gave inf or NaN for finite inputs (an overflow, or an argument outside its domain); "
                f"input shapes {[t.shape for t in inputs]}"
            )
        out = Tensor._wrap(data)
        if self.returns_view:
            out._versions = inputs[0]._versions
        self.output_data = data
        self._output: Any = None
        if any(t.tangent is not None for t in inputs):
            tangents = [t.tangent if t.tangent is not None else np.zeros(t.shape) for t in inputs]
            with np.errstate(all="ignore"):  # a non-finite tangent is refused just below, in our words
                dout = np.asarray(self.jvp(*tangents), dtype=np.float64)
            if not np.isfinite(dout).all():
                raise ValueError(
                    f"{self.name} gave an inf or NaN tangent for finite inputs and tangents (the derivative "
                    f"does not exist there, e.g. a square root at 0); input shapes {[t.shape for t in inputs]}"
                )
            if dout.shape != data.shape:
                dout = np.broadcast_to(dout, data.shape).copy()
            out.tangent = dout
        if _state["recording"] and any(t.requires_grad for t in inputs):
            out.requires_grad, out._op = True, self
            self._versions = tuple(t._version for t in inputs)
            self._output = weakref.ref(out)  # weak: the output owns the operation, not the reverse
            self._output_version = 0
        return out

    def check_versions(self) -> None:
        """Raise if a tensor this operation's VJP reads was changed after the forward pass."""
        if self.saves_inputs:
            for k, (t, v) in enumerate(zip(self.inputs, self._versions)):
                if t._version != v:
                    raise RuntimeError(
                        f"input {k} of {self.name} (a Tensor of shape {t.shape}) was modified after the forward "
                        f"pass (version {t._version}, recorded {v}); its gradient needs the old value. Change "
                        "data only after backward(), or run the forward pass again"
                    )
        if self.saves_output:
            out = self.output
            if out._version != self._output_version:
                raise RuntimeError(
                    f"the output of {self.name} (a Tensor of shape {out.shape}) was modified after the forward "
                    "pass; its gradient needs the old value"
                )

    def has_tangent(self, i: int) -> bool:
        """Whether input ``i`` carries a tangent (its ``jvp`` argument is zeros otherwise): lets a JVP skip work."""
        return self.inputs[i].tangent is not None

    def no_second_derivative(self, what: str) -> NoReturn:
        """Refuse forward mode through this VJP (``hvp``): an input moves, so its slope ``sigma'(z)`` moves
        with ``sigma''(z) z_dot``, and ``what``, an activation, has no second derivative. (When only the
        cotangent moves, the slope stands still and no second derivative is needed: callers ask first.)"""
        raise NotImplementedError(
            f"hvp through {what}: its VJP is computed in NumPy only, so forward mode cannot run through it; "
            "give it a second derivative"
        )


def _forward_mode(inputs: tuple[Tensor, ...], g: Tensor) -> bool:
    """Whether forward mode runs through a VJP (``hvp``): its cotangent ``g`` or an input has a tangent."""
    return g.tangent is not None or any(x.tangent is not None for x in inputs)


def constant(x: ArrayLike) -> Tensor:
    """A tensor that needs no gradient, around an array the engine computed (no copy, no check).

    Returned from a ``vjp``, it marks a cotangent computed in NumPy only: forward mode cannot run
    through it, so ``backpropagate`` refuses it when tangents are being carried (``hvp``).
    """
    out = Tensor._wrap(np.asarray(x, dtype=np.float64))
    out._numpy = True
    return out


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum ``x`` over the axes that broadcasting added or stretched, back to ``shape``."""
    from .ops import SumTo

    return SumTo(shape)(x)


from . import ops  # noqa: E402  (ops builds on the classes above; Tensor's methods use it at call time)
