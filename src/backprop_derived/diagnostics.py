"""What the delta recursion predicts about training, measured on a network.

``delta_{l-1} = (delta_l W_l) * sigma'(z_{l-1})`` multiplies the gradient by one weight matrix and
one activation derivative per layer on its way back. Two measurements follow from that:

* ``gradient_norms``: the Frobenius norm of ``dC/dW_l`` for every layer ``l = 1..L``, which shrinks
  towards the input when each factor is small (sigmoid layers) and stays level when the
  initialisation keeps it near one (ReLU with He initialisation);
* ``dead_units``: the hidden units whose ``sigma'(z)`` is zero for every row of a data set; no row
  sends any gradient through them, so their incoming weights stop changing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .network import Network


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
        One array per hidden layer ``l = 1..L-1``, of shape ``(i_l,)``; entry ``k`` is True when
        unit ``k`` of layer ``l`` is dead on ``X``. Empty for a network without hidden layers.
        Sigmoid and tanh units have a derivative that is positive for every finite ``z``, so they
        come out dead only if it underflows to exactly zero on every row.
    """
    net.forward(X)  # checks X
    return [np.all(layer.activation.derivative(layer.z, layer.a) == 0, axis=0) for layer in net.layers[:-1]]
