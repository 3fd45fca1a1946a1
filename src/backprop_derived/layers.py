"""One dense layer: ``z = a_prev W^T + b`` and ``a = sigma(z)``, in the article's row-vector notation.

Layer ``l`` has ``n_neurons`` neurons and receives ``n_inputs`` inputs, so ``W`` has shape
``(n_neurons, n_inputs)``: row ``W[i]`` is neuron ``i``'s weight vector and ``W[i, j]`` connects input
``j`` to neuron ``i`` (``i`` and ``j`` are indices, never sizes, as in the text).
"""

from __future__ import annotations

import numpy as np

from .activations import Activation


class Layer:
    """A dense layer with plain NumPy parameters a reader may read or replace.

    Attributes
    ----------
    W : ndarray of shape (n_neurons, n_inputs)
        Weights, one row per neuron.
    b : ndarray of shape (n_neurons,)
        Biases, broadcast over the rows of a batch.
    activation : Activation
        The layer's sigma.
    a_prev, z, a : ndarray of shape (m, n_inputs), (m, n_neurons), (m, n_neurons)
        The input, pre-activation and activation of the last forward pass (``None`` before one).
    delta : ndarray of shape (m, n_neurons)
        The batch's Delta = ``dC/dZ`` of the mean cost, from the last backward pass (``None`` before
        one): row ``r`` is ``1/m`` times observation ``r``'s delta, so ``dC/db`` is the sum
        of the rows and ``dC/dW = delta^T a_prev`` needs no further ``1/m``.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, activation: Activation):
        self.n_neurons, self.n_inputs = np.shape(W)
        self.W, self.b = W, b
        self.activation = activation
        self.a_prev: np.ndarray | None = None
        self.z: np.ndarray | None = None
        self.a: np.ndarray | None = None
        self.delta: np.ndarray | None = None
        self._check_parameters()

    def _check_parameters(self) -> None:
        # Parameters are public, so check them each pass rather than trusting an assignment.
        n_neurons, n_inputs = self.n_neurons, self.n_inputs
        if not (isinstance(self.W, np.ndarray) and self.W.dtype == np.float64):
            self.W = np.asarray(self.W, dtype=np.float64)
        if not (isinstance(self.b, np.ndarray) and self.b.dtype == np.float64):
            self.b = np.asarray(self.b, dtype=np.float64)
        if self.W.shape != (n_neurons, n_inputs):
            raise ValueError(f"W must have shape ({n_neurons}, {n_inputs}) (neurons, inputs); got {self.W.shape}")
        if self.b.shape != (n_neurons,):
            raise ValueError(f"b must have shape ({n_neurons},); got {self.b.shape}")

    def forward(self, a_prev: np.ndarray) -> np.ndarray:
        """Equation (1) for a batch: ``z = a_prev W^T + b`` and ``a = sigma(z)``, both (m, n_neurons).

        ``a_prev`` has shape ``(m, n_inputs)`` and is assumed already validated by the network.
        """
        self._check_parameters()
        self.a_prev = a_prev
        z = a_prev @ self.W.T
        z += self.b  # in place: no second (m, n_neurons) array
        self.z = z
        self.a = a = self.activation.value(z)
        return a

    def gradients(self, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store ``delta``, the batch's Delta = ``dC/dZ`` (m, n_neurons), the mean cost's ``1/m`` already in
        its rows; return ``(dC/dW, dC/db)``, shaped like ``W`` and ``b``.

        ``delta^T a_prev`` sums the outer products ``delta_r^T a_prev_r`` over the rows of the batch.
        """
        if self.a_prev is None:
            raise ValueError("gradients needs a forward pass first")
        self.delta = delta
        return delta.T @ self.a_prev, delta.sum(axis=0)

    def __repr__(self) -> str:
        return f"Layer(W: {self.W.shape}, b: {self.b.shape}, activation={self.activation.name!r})"
