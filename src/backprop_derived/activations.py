"""Activation functions sigma, their derivatives, and their Jacobians d a / d z.

Every function acts on a batch ``z`` of shape ``(m, n)``: one observation per row. The
element-wise activations get both ``z`` and ``a = sigma(z)`` for their derivative and use what is
cheaper: sigmoid ``a (1 - a)`` and tanh ``1 - a**2`` from the output the forward pass has already
computed, ReLU ``[z > 0]`` from the pre-activation (0 at the kink ``z = 0``).
Softmax is not element-wise: each output depends on every ``z`` of its row, so its Jacobian is full.

An activation owns everything the rest of the package needs to know about it: the variance gain of
its initial weights (``init_gain``), where it may sit (``roles``: hidden, output or both) and, as an
output, the cost used when none is named (``default_cost``). Which costs pair with which outputs is
owned by the costs (``Cost.outputs``). Adding an activation is one subclass and one
``register_activation`` call; an output activation that should pair with a cross-entropy is also
named in that cost's ``outputs``. See CONTRIBUTING.md.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._checks import activation_name, choose, float_array, positive_number, role_set

HIDDEN = "hidden"
OUTPUT = "output"


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``log softmax(z)`` over each row of ``z`` (m, n), finite for any finite logits.

    Subtracting the row maximum changes nothing mathematically and keeps ``exp`` from overflowing;
    the cross-entropies of ``costs`` and ``autodiff`` take their logs from here.
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class Activation:
    """An element-wise activation: ``a = value(z)`` and ``d a_k / d z_k = derivative(z, a)``.

    A subclass sets ``name`` and writes ``_value(z)`` and ``_derivative(z, a)`` for float64 arrays
    of shape ``(m, n)``: the derivative receives both the pre-activation ``z`` and the output
    ``a = sigma(z)``, and uses whichever is cheaper (sigmoid ``a (1 - a)``; GELU or SiLU need ``z``).
    ``_second_derivative(z, a)`` is optional; ``autodiff.hvp`` needs it. The public methods convert
    lists and integer arrays first, and compute ``a`` from ``z`` when it is not given.
    """

    name: ClassVar[str] = "activation"
    #: Variance gain of the initial weights, ``W ~ N(0, init_gain / fan_in)``. ReLU's 2 keeps the
    #: variance of ``z`` steady from layer to layer (ReLU zeroes half its inputs); the 1 used for
    #: tanh and sigmoid does not (through 256-wide layers it falls layer after layer for tanh, and
    #: about fourfold in the first layer for sigmoid).
    init_gain: ClassVar[float] = 1.0
    #: Where the activation may be used: ``"hidden"``, ``"output"`` or both.
    roles: ClassVar[frozenset[str]] = frozenset({HIDDEN})
    #: The cost a network uses when this is its output activation and no cost is named.
    default_cost: ClassVar[str] = "squared_error"

    def value(self, z: object) -> np.ndarray:
        """``a = sigma(z)``; ``z`` and the result have shape ``(m, n)``."""
        return self._value(float_array(z, "z"))

    def _pair(self, z: object, a: object | None) -> tuple[np.ndarray, np.ndarray]:
        z = float_array(z, "z")
        if a is None:
            return z, self._value(z)
        a = float_array(a, "a")
        if a.shape != z.shape:
            raise ValueError(f"a must have the shape of z, {z.shape}; got {a.shape}")
        return z, a

    def derivative(self, z: object, a: object | None = None) -> np.ndarray:
        """``sigma'(z)``, shape ``(m, n)``; pass ``a = sigma(z)`` too when you have it, to save its computation."""
        return self._derivative(*self._pair(z, a))

    def second_derivative(self, z: object, a: object | None = None) -> np.ndarray:
        """``sigma''(z)``, shape ``(m, n)``; raises NotImplementedError if the activation does not define it."""
        return self._second_derivative(*self._pair(z, a))

    def _value(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"activation {self.name!r} defines no second derivative (_second_derivative)")

    def jacobian(self, z: object, a: object | None = None) -> np.ndarray:
        """``d a / d z`` for each row: shape ``(m, n, n)``, diagonal for element-wise activations."""
        d = self.derivative(z, a)
        J = np.zeros(d.shape + (d.shape[-1],))
        idx = np.arange(d.shape[-1])
        J[..., idx, idx] = d
        return J

    def backward(self, dC_da: np.ndarray, z: np.ndarray, a: np.ndarray | None = None) -> np.ndarray:
        """``dC/dz = dC/da (d a / d z)`` row by row; for a diagonal Jacobian that is ``dC/da * sigma'(z)``."""
        return dC_da * self.derivative(z, a)

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class ReLU(Activation):
    name = "relu"
    init_gain = 2.0  # He initialisation

    def _value(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        # 1 where z > 0; at the kink z = 0 we take 0.
        return (z > 0).astype(np.float64)

    def _second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(z)  # zero away from the kink, where the second derivative does not exist

    def backward(self, dC_da: np.ndarray, z: np.ndarray, a: np.ndarray | None = None) -> np.ndarray:
        # Multiplying by the boolean mask directly skips building the float derivative array.
        return dC_da * (float_array(z, "z") > 0)


class Sigmoid(Activation):
    name = "sigmoid"
    roles = frozenset({HIDDEN, OUTPUT})

    def _value(self, z: np.ndarray) -> np.ndarray:
        # Split by sign so that exp never overflows.
        out = np.empty_like(z, dtype=np.float64)
        pos = z >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
        ez = np.exp(z[~pos])
        out[~pos] = ez / (1.0 + ez)
        return out

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)

    def _second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a) * (1.0 - 2.0 * a)


class Tanh(Activation):
    name = "tanh"

    def _value(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.0 - a * a

    def _second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return -2.0 * a * (1.0 - a * a)


class Identity(Activation):
    name = "identity"
    roles = frozenset({HIDDEN, OUTPUT})

    def _value(self, z: np.ndarray) -> np.ndarray:
        return np.array(z, dtype=np.float64, copy=True)

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def _second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(z)


class Softmax(Activation):
    """``a_k = exp(z_k) / sum_c exp(z_c)`` over each row; its Jacobian is ``diag(a) - a^T a``."""

    name = "softmax"
    roles = frozenset({OUTPUT})
    default_cost = "cross_entropy"

    def _value(self, z: np.ndarray) -> np.ndarray:
        # Subtracting the row maximum changes nothing mathematically and keeps exp finite.
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)  # in place: one temporary instead of three
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def log_value(self, z: object) -> np.ndarray:
        """``log a`` computed stably from ``z`` (log-softmax); shape ``(m, n)``."""
        return log_softmax(float_array(z, "z"))

    def derivative(self, z: object, a: object | None = None) -> np.ndarray:
        raise TypeError(
            "softmax is not element-wise: d a_k / d z_c is non-zero for c != k, so there is no "
            "single derivative per entry; use Softmax.jacobian(z, a)"
        )

    def second_derivative(self, z: object, a: object | None = None) -> np.ndarray:
        """Raises ``TypeError``, as ``derivative`` does (not ``NotImplementedError``): softmax is not element-wise."""
        return self.derivative(z, a)

    def jacobian(self, z: object, a: object | None = None) -> np.ndarray:
        """Per row ``diag(a) - a^T a``: shape ``(m, n, n)``, entry ``[r, k, c] = d a_k / d z_c``."""
        _, a = self._pair(z, a)
        J = -a[..., :, None] * a[..., None, :]
        idx = np.arange(a.shape[-1])
        J[..., idx, idx] += a
        return J

    def backward(self, dC_da: np.ndarray, z: np.ndarray, a: np.ndarray | None = None) -> np.ndarray:
        # Row r of dC/da times its Jacobian diag(a) - a^T a, without forming the (m, n, n) array.
        _, a = self._pair(z, a)
        return a * (dC_da - np.sum(dC_da * a, axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {}


def register_activation(activation: Activation) -> Activation:
    """Make ``activation`` available by its ``name`` to ``get_activation`` and ``Network``.

    Returns the activation, so the call can sit right after the class. A name already taken raises
    ``ValueError``; an object that is not an ``Activation`` raises ``TypeError``.
    """
    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be an Activation instance; got {activation!r}")
    name = activation_name(activation.name, inherited=activation.name == Activation.name)
    if name in ACTIVATIONS:
        raise ValueError(f"an activation called {name!r} is already registered")
    role_set(activation.roles, frozenset({HIDDEN, OUTPUT}), f"roles of {name!r}")
    positive_number(activation.init_gain, f"init_gain of {name!r}")
    ACTIVATIONS[name] = activation
    return activation


for _activation in (ReLU(), Sigmoid(), Tanh(), Identity(), Softmax()):
    register_activation(_activation)


def activations_for(role: str) -> dict[str, Activation]:
    """The registered activations allowed in ``role`` (``"hidden"`` or ``"output"``), by name."""
    return {name: act for name, act in ACTIVATIONS.items() if role in act.roles}


def get_activation(name: str, role: str | None = None) -> Activation:
    """The activation called ``name``: ``relu``, ``sigmoid``, ``tanh``, ``identity``, ``softmax`` or one registered.

    With ``role`` (``"hidden"`` or ``"output"``) an activation not allowed there is refused, and the
    error lists the ones that are.
    """
    if role is None:
        return choose(name, ACTIVATIONS, "activation")
    return choose(name, activations_for(role), f"{role} activation")


def unregister_activation(name: str) -> Activation:
    """Remove the activation called ``name`` from the registry and return it (an unknown name raises ValueError).

    Examples and tests that register an activation call this afterwards (in a ``finally``), so the
    registry is left as they found it.
    """
    activation = choose(name, ACTIVATIONS, "activation")
    del ACTIVATIONS[activation.name]
    return activation
