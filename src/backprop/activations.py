"""Activation functions sigma, their derivatives, and their Jacobians d a / d z.

Every function acts on a batch ``z`` of shape ``(m, n)``: one observation per row. The
element-wise activations give their derivative from the activation ``a`` itself (sigmoid
``a (1 - a)``, tanh ``1 - a**2``, ReLU ``[a > 0]``), which the forward pass has already computed.
Softmax is not element-wise: each output depends on every ``z`` of its row, so its Jacobian is full.
"""

from __future__ import annotations

import numpy as np

from ._checks import choose


class Activation:
    """An element-wise activation: ``a = value(z)`` and ``d a_k / d z_k = derivative(a)``."""

    name = "activation"
    #: Variance gain of the initial weights, ``W ~ N(0, init_gain / fan_in)``: the factor that keeps
    #: the variance of ``z`` steady from layer to layer (2 for ReLU, which zeroes half its inputs).
    init_gain = 1.0

    def value(self, z: np.ndarray) -> np.ndarray:
        """``a = sigma(z)``; ``z`` and the result have shape ``(m, n)``."""
        raise NotImplementedError

    def derivative(self, a: np.ndarray) -> np.ndarray:
        """``sigma'(z)`` written in terms of ``a = sigma(z)``; shape ``(m, n)``."""
        raise NotImplementedError

    def jacobian(self, a: np.ndarray) -> np.ndarray:
        """``d a / d z`` for each row: shape ``(m, n, n)``, diagonal for element-wise activations."""
        d = self.derivative(a)
        J = np.zeros(d.shape + (d.shape[-1],))
        idx = np.arange(d.shape[-1])
        J[..., idx, idx] = d
        return J

    def backward(self, dC_da: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``dC/dz = dC/da (d a / d z)`` row by row; for a diagonal Jacobian that is ``dC/da * sigma'``."""
        return dC_da * self.derivative(a)

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class ReLU(Activation):
    name = "relu"
    init_gain = 2.0  # He initialisation

    def value(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, a):
        # 1 where z > 0, which is where a > 0; at the kink z = 0 we take 0.
        return (a > 0).astype(np.float64)

    def backward(self, dC_da, a):
        # Multiplying by the boolean mask directly skips building the float derivative array.
        return dC_da * (a > 0)


class Sigmoid(Activation):
    name = "sigmoid"

    def value(self, z):
        # Split by sign so that exp never overflows.
        out = np.empty_like(z, dtype=np.float64)
        pos = z >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
        ez = np.exp(z[~pos])
        out[~pos] = ez / (1.0 + ez)
        return out

    def derivative(self, a):
        return a * (1.0 - a)


class Tanh(Activation):
    name = "tanh"

    def value(self, z):
        return np.tanh(z)

    def derivative(self, a):
        return 1.0 - a * a


class Identity(Activation):
    name = "identity"

    def value(self, z):
        return np.array(z, dtype=np.float64, copy=True)

    def derivative(self, a):
        return np.ones_like(a)


class Softmax(Activation):
    """``a_k = exp(z_k) / sum_c exp(z_c)`` over each row; its Jacobian is ``diag(a) - a^T a``."""

    name = "softmax"

    def value(self, z):
        # Subtracting the row maximum changes nothing mathematically and keeps exp finite.
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)  # in place: one temporary instead of three
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def log_value(self, z):
        """``log a`` computed stably from ``z`` (log-softmax); shape ``(m, n)``."""
        shifted = z - z.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))

    def derivative(self, a):
        raise TypeError(
            "softmax is not element-wise: d a_k / d z_c is non-zero for c != k, so there is no "
            "single derivative per entry; use Softmax.jacobian(a)"
        )

    def jacobian(self, a):
        """Per row ``diag(a) - a^T a``: shape ``(m, n, n)``, entry ``[r, k, c] = d a_k / d z_c``."""
        J = -a[..., :, None] * a[..., None, :]
        idx = np.arange(a.shape[-1])
        J[..., idx, idx] += a
        return J

    def backward(self, dC_da, a):
        # Row r of dC/da times its Jacobian diag(a) - a^T a, without forming the (m, n, n) array.
        return a * (dC_da - np.sum(dC_da * a, axis=-1, keepdims=True))


ACTIVATIONS = {
    "relu": ReLU(),
    "sigmoid": Sigmoid(),
    "tanh": Tanh(),
    "identity": Identity(),
    "softmax": Softmax(),
}
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "identity")


def get_activation(name: str) -> Activation:
    """The activation called ``name``: one of ``relu``, ``sigmoid``, ``tanh``, ``identity``, ``softmax``."""
    return choose(name, ACTIVATIONS, "activation")
