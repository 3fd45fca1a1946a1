"""A task where memory matters, and two small models that learn it with ``bp.autodiff``.

The **adding problem**, in a simplified form of Hochreiter and Schmidhuber's (1997, Experiment 4)
of the kind later work uses (Le, Jaitly and Hinton, 2015; Arjovsky, Shah and Bengio, 2016), with
this package's marker placement: each step of a sequence carries a value drawn uniformly from
[0, 1] and a marker, 1 at exactly two steps and 0 elsewhere; the target is the sum of the two
marked values. The marked steps are any two distinct steps, so a model must remember a value
seen early until the end of the sequence. Always answering the mean target scores a mean squared
error of about 1/6, the variance of a sum of two uniform values.

* :class:`RNNModel`: an Elman network (``bp.autodiff.rnn``) read out from its last state;
* :class:`AttentionModel`: one attention layer (``bp.autodiff.attention``) whose single learned
  query pools the sequence, read out from the pooled row;
* :func:`fit`: full-batch Adam on the mean squared error, recording the training and test losses;
* :func:`state_gradients`, :func:`state_gradient_norms`: ``dC/dh_t`` at every step of the RNN, and its size.
"""

from __future__ import annotations

import numpy as np

from ._checks import positive_int, positive_number, seed_value
from .autodiff import Tensor, attention, rnn


def adding_problem(m: int, T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``m`` sequences of the adding problem, ``T`` steps each.

    Returns
    -------
    X : ndarray of shape (m, T, 2)
        ``X[r, t] = [value, marker]``: values uniform in [0, 1], markers 1 at two distinct steps.
    y : ndarray of shape (m, 1)
        The sum of each sequence's two marked values.
    """
    m, T = positive_int(m, "m"), positive_int(T, "T")
    if T < 2:
        raise ValueError(f"T must be at least 2 (two steps are marked); got {T}")
    rng = np.random.default_rng(seed_value(seed))
    values = rng.uniform(size=(m, T))
    marks = np.zeros((m, T))
    for r in range(m):
        marks[r, rng.choice(T, size=2, replace=False)] = 1.0
    return np.stack([values, marks], axis=2), (values * marks).sum(axis=1, keepdims=True)


def _check_sequences(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[2] != 2 or 0 in X.shape:
        raise ValueError(f"X must have shape (m, T, 2), one [value, marker] row per step; got shape {X.shape}")
    return X


class RNNModel:
    """``y_hat = h_T w^T + c`` with ``h_t = tanh(x_t W_x^T + h_{t-1} W_h^T + b)`` and ``h_0 = 0``.

    Each weight block is drawn as ``N(0, 1 / width)`` from ``seed``, width its own number of
    inputs (2 for ``W_x``, ``n_h`` for ``W_h`` and ``w``), not the step's fan-in ``2 + n_h``;
    biases start at zero.
    """

    def __init__(self, n_h: int = 16, seed: int = 0):
        n_h = positive_int(n_h, "n_h")
        rng = np.random.default_rng(seed_value(seed))
        self.W_x = Tensor(rng.normal(size=(n_h, 2)) / np.sqrt(2), requires_grad=True)
        self.W_h = Tensor(rng.normal(size=(n_h, n_h)) / np.sqrt(n_h), requires_grad=True)
        self.b = Tensor(np.zeros(n_h), requires_grad=True)
        self.w = Tensor(rng.normal(size=(1, n_h)) / np.sqrt(n_h), requires_grad=True)
        self.c = Tensor(np.zeros(1), requires_grad=True)
        self.n_h = n_h

    def parameters(self) -> list[Tensor]:
        return [self.W_x, self.W_h, self.b, self.w, self.c]

    def states(self, X: np.ndarray) -> Tensor:
        """Every hidden state, shape (m, T, n_h)."""
        X = _check_sequences(X)
        return rnn(Tensor(X), Tensor(np.zeros((len(X), self.n_h))), self.W_x, self.W_h, self.b)

    def predict(self, X: np.ndarray) -> Tensor:
        """The predicted sums, shape (m, 1)."""
        return self.states(X)[:, -1] @ self.w.T + self.c


class AttentionModel:
    """One attention layer with a single learned query: ``y_hat = attention(q, K, V) w^T + c``.

    Each step's row ``x_t = [value, marker]`` gives a key ``k_t = x_t W_K^T`` and a value
    ``v_t = x_t W_V^T + b_V`` (width ``d``); one learned query row ``q`` (the same for every sequence)
    scores all steps, and the softmax-weighted average of the values is read out linearly. The keys
    have no bias: it would add the same ``q . b_K / sqrt(d)`` to every score of the row, which the
    softmax ignores, so its gradient would be zero. ``b_V`` is redundant too (the weights sum to 1,
    so it adds ``b_V . w`` to every prediction, as ``c`` does), but its gradient is not zero.
    """

    def __init__(self, d: int = 8, seed: int = 0):
        d = positive_int(d, "d")
        rng = np.random.default_rng(seed_value(seed))
        self.q = Tensor(rng.normal(size=d), requires_grad=True)
        self.W_K = Tensor(rng.normal(size=(d, 2)) / np.sqrt(2), requires_grad=True)
        self.W_V = Tensor(rng.normal(size=(d, 2)) / np.sqrt(2), requires_grad=True)
        self.b_V = Tensor(np.zeros(d), requires_grad=True)
        self.w = Tensor(rng.normal(size=(1, d)) / np.sqrt(d), requires_grad=True)
        self.c = Tensor(np.zeros(1), requires_grad=True)
        self.d = d

    def parameters(self) -> list[Tensor]:
        return [self.q, self.W_K, self.W_V, self.b_V, self.w, self.c]

    def weights(self, X: np.ndarray) -> np.ndarray:
        """The query's softmax weights over the steps, shape (m, T): where the model looks."""
        X = _check_sequences(X)
        m, T, _ = X.shape
        K = X.reshape(m * T, 2) @ self.W_K.data.T
        s = K.reshape(m, T, self.d) @ self.q.data / np.sqrt(self.d)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> Tensor:
        """The predicted sums, shape (m, 1)."""
        X = _check_sequences(X)
        m, T, _ = X.shape
        rows = Tensor(X.reshape(m * T, 2))  # the dense maps act on every step's row at once
        K = (rows @ self.W_K.T).reshape(m, T, self.d)
        V = (rows @ self.W_V.T + self.b_V).reshape(m, T, self.d)
        Q = Tensor(np.ones((m, 1, self.d))) * self.q  # the one query, copied for every sequence
        pooled = attention(Q, K, V).reshape(m, self.d)
        return pooled @ self.w.T + self.c


def mean_squared_error(model: RNNModel | AttentionModel, X: np.ndarray, y: np.ndarray) -> Tensor:
    """``mean((y_hat - y)^2)`` over the ``m`` sequences, a Tensor of shape ()."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X), 1):
        raise ValueError(f"y must have shape (m, 1) = ({len(X)}, 1); got {y.shape}")
    return ((model.predict(X) - Tensor(y)) ** 2).mean()


def fit(
    model: RNNModel | AttentionModel,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    steps: int = 500,
    learning_rate: float = 0.01,
) -> dict[str, list[float]]:
    """Full-batch Adam (Kingma and Ba, 2015; beta 0.9 and 0.999) on the mean squared error.

    Returns the training loss before each step and the test loss after it, under ``"train"`` and
    ``"test"``.
    """
    steps, learning_rate = positive_int(steps, "steps"), positive_number(learning_rate, "learning_rate")
    params = model.parameters()
    first = [np.zeros_like(p.data) for p in params]
    second = [np.zeros_like(p.data) for p in params]
    history: dict[str, list[float]] = {"train": [], "test": []}
    for step in range(1, steps + 1):
        for p in params:
            p.grad = None
        loss = mean_squared_error(model, X, y)
        loss.backward()
        history["train"].append(loss.item())
        for p, m1, m2 in zip(params, first, second):
            assert p.grad is not None
            m1 += 0.1 * (p.grad - m1)  # running means of the gradient and of its square
            m2 += 0.001 * (p.grad**2 - m2)
            p.data = p.data - learning_rate * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
        history["test"].append(mean_squared_error(model, X_test, y_test).item())
    return history


def state_gradient_norms(model: RNNModel, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|dC/dh_t|`` (Frobenius norm over the ``m`` sequences) for t = 1..T, C the mean squared error.

    The norms of :func:`state_gradients`, one per step, shape (T,).
    """
    G = state_gradients(model, X, y)
    return np.sqrt(np.sum(G**2, axis=(0, 2)))


def state_gradients(model: RNNModel, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dC/dh_t`` for t = 1..T, shape (m, T, n_h) like the states, C the mean squared error.

    The network runs one step at a time, each step a call of ``rnn`` on copies of the model's weights,
    so that every state is a tensor of its own and receives its whole derivative: the direct term
    and the path through the later states. The model's own gradients are left untouched.
    """
    if not isinstance(model, RNNModel):
        raise TypeError(f"model must be an RNNModel; got {type(model).__name__}")
    X = _check_sequences(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X), 1):
        raise ValueError(f"y must have shape (m, 1) = ({len(X)}, 1); got {y.shape}")
    W_x, W_h, b, w, c = (Tensor(p.data, requires_grad=True) for p in model.parameters())
    h = Tensor(np.zeros((len(X), model.n_h)))
    states = []
    for t in range(X.shape[1]):
        h = rnn(Tensor(X[:, t : t + 1]), h, W_x, W_h, b)[:, 0]
        states.append(h)
    ((h @ w.T + c - Tensor(y)) ** 2).mean().backward()
    return np.stack([s.grad if s.grad is not None else np.zeros(s.shape) for s in states], axis=1)
