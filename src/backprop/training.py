"""Mini-batch stochastic gradient descent."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_batch, matching_targets
from .metrics import accuracy


@dataclass
class History:
    """Per-epoch measurements, each list with one entry per epoch.

    ``loss`` and ``accuracy`` are on the whole training set after the epoch; ``test_loss`` and
    ``test_accuracy`` on the validation set, and stay empty when none was given. Accuracy counts a
    row as right when its largest output sits where its one-hot target has the 1.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)


def sgd_update(net, grads, learning_rate: float) -> None:
    """One gradient-descent step in place: ``W_l -= learning_rate * dC/dW_l``, and the same for ``b_l``."""
    for layer, (dW, db) in zip(net.layers, grads):
        layer.W -= learning_rate * dW
        layer.b -= learning_rate * db


def _measure(net, X, Y) -> tuple[float, float]:
    cost = net.cost(X, Y)  # runs the forward pass, so the prediction below reuses it
    return cost, accuracy(np.argmax(Y, axis=1), np.argmax(net.layers[-1].a, axis=1))


def train(
    net,
    X,
    Y,
    epochs: int = 200,
    learning_rate: float = 0.1,
    batch_size: int = 16,
    seed: int = 0,
    validation=None,
    print_every: int = 0,
) -> History:
    """Train ``net`` in place with mini-batch SGD: ``W <- W - learning_rate * dC/dW`` per batch.

    ``X`` (m, n_inputs) and ``Y`` (m, n_outputs). Each epoch shuffles the rows with a generator
    seeded by ``seed`` and walks through them ``batch_size`` at a time (the last batch may be
    smaller). ``validation=(X_test, Y_test)`` records test loss and accuracy too. ``print_every=k``
    prints one line every k epochs. Returns a ``History``.
    """
    X = as_batch(X, net.sizes[0], "X")
    Y = matching_targets(Y, X.shape[0], net.sizes[-1])
    if validation is not None:
        X_val = as_batch(validation[0], net.sizes[0], "X_test")
        Y_val = matching_targets(validation[1], X_val.shape[0], net.sizes[-1], "Y_test")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not (isinstance(value, (int, np.integer)) and value > 0):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number; got {learning_rate!r}")

    rng = np.random.default_rng(seed)
    history = History()
    m = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            rows = order[start:start + batch_size]
            sgd_update(net, net.gradients(X[rows], Y[rows]), learning_rate)
        loss, acc = _measure(net, X, Y)
        history.loss.append(loss)
        history.accuracy.append(acc)
        line = f"epoch {epoch:4d}  loss {loss:.4f}  acc {acc:.3f}"
        if validation is not None:
            test_loss, test_acc = _measure(net, X_val, Y_val)
            history.test_loss.append(test_loss)
            history.test_accuracy.append(test_acc)
            line += f"  test loss {test_loss:.4f}  test acc {test_acc:.3f}"
        if print_every and epoch % print_every == 0:
            print(line)
    return history
