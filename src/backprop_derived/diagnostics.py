"""What the delta recursion predicts about training, measured on a network.

``delta_{l-1} = (delta_l W_l) * sigma'(z_{l-1})`` multiplies the gradient by one weight matrix and
one activation derivative per layer on its way back. Two measurements follow from that:

* ``gradient_norms``: the Frobenius norm of ``dC/dW_l`` for every layer ``l = 1..L``, which shrinks
  towards the input when each factor is small (sigmoid layers) and does not shrink systematically
  with depth when the initialisation keeps each factor's scale near one (ReLU with He
  initialisation, which keeps the variance of the signal about steady at initialisation); the norms of different layers
  still need not be equal;
* ``dead_units``: the hidden units whose ``sigma'(z)`` is zero for every row of a data set; no row
  sends any gradient through them, so their incoming weights stop changing.

Both run passes of their own, but leave the network as they found it: every layer's cached
``a_prev``, ``z``, ``a`` and ``delta`` are restored, so a diagnostic called between
``net.forward`` and ``net.backward`` in a training loop does not change what is differentiated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from numpy.typing import ArrayLike

from .network import Network

_CACHES = ("a_prev", "z", "a", "delta")


def _network(net: object) -> Network:
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop_derived.Network; got {type(net).__name__}")
    return net


@contextmanager
def _caches_kept(net: Network) -> Iterator[None]:
    """Restore every layer's cached arrays of the last forward and backward pass on exit."""
    saved = [{name: getattr(layer, name, None) for name in _CACHES} for layer in net.layers]
    try:
        yield
    finally:
        for layer, caches in zip(net.layers, saved):
            for name, value in caches.items():
                setattr(layer, name, value)


def gradient_norms(net: Network, X: ArrayLike, Y: ArrayLike) -> np.ndarray:
    """The Frobenius norm of ``dC/dW_l`` for each layer, ``l = 1..L``.

    Parameters
    ----------
    net : Network
        The network; its forward and backward pass run on ``X`` and ``Y``.
    X : array_like of shape (m, n_inputs)
        The batch, one observation per row.
    Y : array_like of shape (m, n_outputs)
        The targets (one-hot for classification).

    Returns
    -------
    ndarray of shape (L,)
        Entry ``l - 1`` is ``||dC/dW_l||_F = sqrt(sum_ij (dC/dw_ij)^2)`` for the text's layer ``l``,
        with the cost averaged over the ``m`` rows as everywhere in the package.
    """
    net = _network(net)
    with _caches_kept(net):
        return np.array([np.linalg.norm(dW) for dW, _ in net.gradients(X, Y)])  # gradients checks X and Y


def dead_units(net: Network, X: ArrayLike) -> list[np.ndarray]:
    """Which hidden units pass no gradient for any row of ``X``.

    A unit is dead on ``X`` when its activation derivative ``sigma'(z)`` is zero for every row: for
    a ReLU, when ``z <= 0`` for every observation. Then ``delta`` is zero in its column for the whole
    data set, and so is the gradient of its incoming weights and bias.

    Parameters
    ----------
    net : Network
        The network; a forward pass runs on ``X``.
    X : array_like of shape (m, n_inputs)
        The data set to test the units on, one observation per row (use all of it: a unit alive
        for one row is alive).

    Returns
    -------
    list of ndarray of bool
        One array per hidden layer ``l = 1..L-1``, of shape ``(n_l,)``, ``n_l`` being the layer's
        number of neurons; entry ``k`` is True when unit ``k`` of layer ``l`` is dead on ``X``. Empty for a network
        without hidden layers.
        Sigmoid and tanh units have a derivative that is positive for every finite ``z``, but it is
        computed from ``a``, and ``a`` can round to a value where that formula gives exactly 0: a
        sigmoid's ``a`` rounds to 1 for ``z`` above about 36.7 (where ``sigma'(37)`` is 8.5e-17), and
        a tanh's ``a`` to -1 or 1 for ``|z|`` above about 19. On the sigmoid's side towards 0 it does
        not round before the derivative underflows: ``sigma(-40)`` is 4.2e-18 and so is its
        derivative, and ``a`` reaches 0 only below about ``z = -745``. So a sigmoid unit saturated
        towards 0 on every row is reported alive, one saturated towards 1 dead; in general a unit
        comes out dead only if its derivative is exactly 0 on every row.
    """
    net = _network(net)
    with _caches_kept(net):
        net.forward(X)  # checks X
        return [np.all(layer.activation.derivative(layer.z, layer.a) == 0, axis=0) for layer in net.layers[:-1]]
