"""A fully connected network: the forward pass, the cost, and backpropagation.

The backward pass is the recursion of the chapters, with ``delta_l = dC/dz_l`` (shape (m, n_l)), the
batch quantity the reference glossary calls Delta_l (row r is the observation's delta_l / m, the
``1/m`` of the mean cost included) and ``Layer.delta`` stores:

* output layer: ``delta_L = dC/da_L (d a_L / d z_L)``. For the two fused pairings this package
  offers, softmax with cross-entropy (each row of ``y`` a probability distribution: entries in
  [0, 1] summing to 1, which the cost enforces) and sigmoid with binary cross-entropy (each entry
  of ``y`` in [0, 1]), this collapses to ``(a_L - y) / m``, which the cost computes directly from
  the logits (its fused shortcut, ``uses_fused_output``). Identity with squared error gives the
  same ``(a_L - y) / m``, but through the general product above, not the fused path;
* hidden layers: ``delta_{l-1} = (delta_l W_l) * sigma'(z_{l-1})``;
* every layer: ``dC/dW_l = delta_l^T a_{l-1}`` and ``dC/db_l = sum over rows of delta_l``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_batch, matching_targets, positive_int, seed_value
from .activations import HIDDEN, OUTPUT, get_activation
from .costs import get_cost
from .layers import Layer


class Network:
    """A network of dense layers, ``sizes = [n_inputs, n_hidden..., n_outputs]``.

    Parameters
    ----------
    sizes : sequence of int
        At least two positive sizes; ``[4, 5, 3]`` is the article's 4-5-3 network.
    hidden : str or list of str
        The hidden activation(s): ``"relu"``, ``"sigmoid"``, ``"tanh"`` or ``"identity"``, one name
        for all hidden layers or a list with one name per hidden layer.
    output : str
        ``"softmax"``, ``"sigmoid"`` or ``"identity"`` (any registered activation whose ``roles``
        include ``"output"``).
    cost : str, optional
        ``"cross_entropy"`` (softmax output only), ``"binary_cross_entropy"`` (sigmoid output only)
        or ``"squared_error"`` (any output); by default the output activation's ``default_cost``:
        cross-entropy for softmax, squared error for sigmoid and identity.
    seed : int or None
        Seeds the weight initialisation: ``W_l ~ N(0, init_gain / n_inputs)`` with the layer's
        ``Activation.init_gain`` (2 for ReLU, He; 1 otherwise, LeCun); biases start at zero.
        ``None`` draws fresh randomness, so every call gives different weights.

    Notes
    -----
    ``layers[0]`` is layer 1 of the text (the first hidden layer); ``layer(l)`` takes the text's
    index ``l`` directly, so ``net.layer(net.L)`` is the output layer.

    The output layer's ``delta_L = dC/dz_L`` (the batch's Delta_L, see the module docstring) is
    ``(a_L - y) / m`` (the fused shortcut,
    ``uses_fused_output``) under these conditions, which the cost enforces on ``y``:

    * softmax with cross-entropy: each row of ``y`` a probability distribution (entries in [0, 1]
      summing to 1: one-hot or label-smoothed);
    * sigmoid with binary cross-entropy: each entry of ``y`` in [0, 1].

    Identity with squared error gives the same ``(a_L - y) / m`` through the general product
    ``dC/da_L (d a_L / d z_L)``; sigmoid with squared error does not (it keeps the factor
    ``a_L (1 - a_L)``).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        hidden: str | Sequence[str] = "relu",
        output: str = "softmax",
        cost: str | None = None,
        seed: int | None = 0,
    ):
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
            raise TypeError(f"sizes must be a list of layer sizes such as [4, 5, 3]; got {sizes!r}")
        sizes = [positive_int(n, f"sizes[{k}]") for k, n in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least 2 entries (inputs, outputs); got {sizes}")
        n_hidden = len(sizes) - 2
        if isinstance(hidden, str):
            names = [hidden] * n_hidden
        elif isinstance(hidden, Sequence):
            names = list(hidden)
        else:
            raise TypeError(f"hidden must be an activation name or a list of names; got {hidden!r}")
        if len(names) != n_hidden:
            raise ValueError(
                f"hidden lists {len(names)} activation names but sizes {sizes} has {n_hidden} hidden layers"
            )
        activations = [get_activation(name, HIDDEN) for name in names]
        out = get_activation(output, OUTPUT)
        self.cost_function = get_cost(cost if cost is not None else out.default_cost)
        self.cost_function.check_output(out.name)
        self.sizes = sizes

        rng = np.random.default_rng(seed_value(seed))
        self.layers: list[Layer] = []
        for n_inputs, n_neurons, activation in zip(sizes[:-1], sizes[1:], activations + [out]):
            W = rng.normal(0.0, np.sqrt(activation.init_gain / n_inputs), size=(n_neurons, n_inputs))
            self.layers.append(Layer(W, np.zeros(n_neurons), activation))

    @property
    def L(self) -> int:
        """The number of layers with weights; the output layer is ``layer(L)``."""
        return len(self.layers)

    def layer(self, l: int) -> Layer:
        """Layer ``l`` in the text's numbering, ``1 <= l <= L`` (``a_0`` is the input ``x``)."""
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)):
            raise TypeError(f"layer index must be an integer between 1 and {self.L}; got {l!r}")
        if not 1 <= l <= self.L:
            raise ValueError(f"layer index must be between 1 and {self.L}; got {l}")
        return self.layers[l - 1]

    @property
    def uses_fused_output(self) -> bool:
        """True when the cost has a fused shortcut from the output logits (softmax + cross-entropy,
        sigmoid + binary cross-entropy): the cost comes from ``z_L`` and ``delta_L = (a_L - y) / m``,
        for targets ``y`` of the kind the cost accepts (see the class Notes)."""
        return self.cost_function.fused

    def forward(self, X: ArrayLike) -> np.ndarray:
        """The forward pass for a batch ``X`` of shape (m, n_inputs); returns ``a_L``, shape (m, n_outputs)."""
        a = as_batch(X, self.sizes[0], "X")
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def cost(self, X: ArrayLike, Y: ArrayLike) -> float:
        """The cost of the batch, averaged over its m rows; ``Y`` has shape (m, n_outputs)."""
        A = self.forward(X)
        Y = matching_targets(Y, A.shape[0], self.sizes[-1])
        if self.uses_fused_output:
            # From the logits z: finite even where a probability underflows to 0.
            z = self.layers[-1].z
            assert z is not None  # set by the forward pass above
            return self.cost_function.value_from_logits(z, Y)
        return self.cost_function.value(A, Y)

    def backward(self, Y: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
        """Backpropagate from the last forward pass; returns ``[(dC/dW_l, dC/db_l), ...]`` for l = 1..L."""
        out = self.layers[-1]
        if out.a is None:
            raise ValueError("backward needs a forward pass first; call gradients(X, Y) instead")
        A, z = out.a, out.z
        assert z is not None  # set with a by the forward pass
        Y = matching_targets(Y, A.shape[0], self.sizes[-1])
        if self.uses_fused_output:
            delta = self.cost_function.output_delta(A, Y)
        else:
            delta = out.activation.backward(self.cost_function.gradient(A, Y), z, A)

        grads = []
        for l in range(self.L, 0, -1):
            layer = self.layer(l)
            grads.append(layer.gradients(delta))
            if l > 1:
                prev = self.layer(l - 1)
                assert prev.z is not None and prev.a is not None  # every layer ran in the forward pass
                delta = prev.activation.backward(delta @ layer.W, prev.z, prev.a)
        return grads[::-1]

    def gradients(self, X: ArrayLike, Y: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
        """``dC/dW_l`` and ``dC/db_l`` for every layer, same shapes as ``(W_l, b_l)``."""
        self.forward(X)
        return self.backward(Y)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The index of the largest output for each row, shape (m,)."""
        return np.argmax(self.forward(X), axis=1)

    def parameters(self) -> list[np.ndarray]:
        """``[W_1, b_1, ..., W_L, b_L]``: the arrays themselves, not copies."""
        return [p for layer in self.layers for p in (layer.W, layer.b)]

    def __repr__(self) -> str:
        names = [layer.activation.name for layer in self.layers]
        return f"Network(sizes={self.sizes}, activations={names}, cost={self.cost_function.name!r})"
