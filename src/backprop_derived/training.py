"""Mini-batch stochastic gradient descent."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_batch, matching_targets, non_negative_int, positive_int, positive_number, seed_value
from .metrics import accuracy
from .network import Network


@dataclass
class History:
    """Per-epoch measurements, each list with one entry per epoch.

    ``loss`` and ``accuracy`` are on the whole training set after the epoch; ``test_loss`` and
    ``test_accuracy`` on the test set passed as ``train(..., test=(X_test, Y_test))``, and stay
    empty when none was given. Accuracy counts a
    row as right when its largest output sits where its target is largest (the 1 of a one-hot
    target, the largest entry of a label-smoothed one).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)


def sgd_update(net: Network, grads: list[tuple[np.ndarray, np.ndarray]], learning_rate: float) -> None:
    """One gradient-descent step in place: ``W_l -= learning_rate * dC/dW_l``, and the same for ``b_l``."""
    for layer, (dW, db) in zip(net.layers, grads):
        layer.W -= learning_rate * dW
        layer.b -= learning_rate * db


def _measure(net: Network, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    cost = net.cost(X, Y)  # runs the forward pass, so the prediction below reuses it
    A = net.layers[-1].a
    assert A is not None
    return cost, accuracy(np.argmax(Y, axis=1), np.argmax(A, axis=1))


def train(
    net: Network,
    X: ArrayLike,
    Y: ArrayLike,
    epochs: int = 200,
    learning_rate: float = 0.1,
    batch_size: int = 16,
    seed: int | None = 0,
    test: tuple[ArrayLike, ArrayLike] | None = None,
    print_every: int = 0,
) -> History:
    """Train ``net`` in place with mini-batch SGD: ``W <- W - learning_rate * dC/dW`` per batch.

    Parameters
    ----------
    net : Network
        Trained in place.
    X, Y : array_like of shape (m, n_inputs) and (m, n_outputs)
        The training rows and their targets, valid for the network's cost: for the cross-entropy
        each target row is a probability distribution (one-hot, as for iris, or label-smoothed);
        for the squared error any finite values.
    epochs : int
        A positive integer: how many times to walk through all the rows.
    batch_size : int
        A positive integer. Each epoch shuffles the rows with a generator seeded by ``seed`` and
        walks through all of them ``batch_size`` at a time; the last batch may be smaller, and no
        row is dropped.
    learning_rate : float
        A positive finite number.
    seed : int or None
        Seeds the shuffling (``None``: fresh randomness on every call).
    test : (X_test, Y_test), optional
        A held-out set: its loss and accuracy are recorded after every epoch too.
    print_every : int
        ``k > 0`` prints one line every ``k`` epochs; 0 prints nothing.

    Returns
    -------
    History
        One entry per epoch. Training stops with ``ValueError`` at the first epoch whose loss is
        not finite (a learning rate too large makes the weights blow up).
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop_derived.Network; got {type(net).__name__}")
    X = as_batch(X, net.sizes[0], "X")
    # Every argument is checked here, before the first update: a bad one never costs an epoch.
    Y = net.cost_function.check_targets(matching_targets(Y, X.shape[0], net.sizes[-1]))
    if test is not None:
        if not (isinstance(test, (tuple, list)) and len(test) == 2):
            got = f"a {type(test).__name__} of length {len(test)}" if isinstance(test, (tuple, list)) else repr(test)
            raise ValueError(f"test must be a pair (X_test, Y_test); got {got}")
        X_test = as_batch(test[0], net.sizes[0], "X_test")
        Y_test = matching_targets(test[1], X_test.shape[0], net.sizes[-1], "Y_test")
        net.cost_function.check_targets(Y_test, "Y_test")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    learning_rate = positive_number(learning_rate, "learning_rate")
    print_every = non_negative_int(print_every, "print_every")

    rng = np.random.default_rng(seed_value(seed))
    history = History()
    m = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(m)
        # Diverging weights overflow on the way; the check below turns that into one clear error.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, m, batch_size):
                rows = order[start : start + batch_size]
                sgd_update(net, net.gradients(X[rows], Y[rows]), learning_rate)
            loss, acc = _measure(net, X, Y)
        if not np.isfinite(loss):
            raise ValueError(
                f"the training loss became {loss} at epoch {epoch} of {epochs} (learning_rate={learning_rate}): "
                f"the weights diverged; try a smaller learning_rate"
            )
        history.loss.append(loss)
        history.accuracy.append(acc)
        line = f"epoch {epoch:4d}  loss {loss:.4f}  acc {acc:.3f}"
        if test is not None:
            test_loss, test_acc = _measure(net, X_test, Y_test)
            history.test_loss.append(test_loss)
            history.test_accuracy.append(test_acc)
            line += f"  test loss {test_loss:.4f}  test acc {test_acc:.3f}"
        if print_every and epoch % print_every == 0:
            print(line)
    return history
