"""Exercises on sequence models: scaled dot-product attention and backpropagation through time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._base import Arrays3, Case, Exercise, Mistake, softmax, vjp_numeric


# attention_backward --------------------------------------------------------------------------------
def _attention(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> np.ndarray:
    return softmax(Q @ K.T / np.sqrt(Q.shape[1])) @ V


def _attention_grads(
    G: np.ndarray,
    Q: np.ndarray,
    K: np.ndarray,
    V: np.ndarray,
    softmax_backward: str = "full",
    scale: bool = True,
    dS_T: bool = True,
) -> Arrays3:
    """The backward pass, with one of its realistic mistakes when asked (for the grader's signatures)."""
    d = Q.shape[1]
    P = softmax(Q @ K.T / np.sqrt(d))
    dP = G @ V.T
    if softmax_backward == "full":  # each row of P is a softmax of its row of scores
        dS = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    elif softmax_backward == "diagonal":
        dS = P * (1 - P) * dP
    else:  # "axis0"
        dS = P * (dP - np.sum(dP * P, axis=0, keepdims=True))
    s = 1 / np.sqrt(d) if scale else 1.0
    return dS @ K * s, (dS.T if dS_T else dS) @ Q * s, P.T @ G


def _attention_backward(G: np.ndarray, Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> Arrays3:
    return _attention_grads(G, Q, K, V)


def _attention_cases() -> list[Case]:
    cases = []
    for seed, (nq, nk, d, dv) in zip((31, 32, 33), ((3, 4, 2, 3), (4, 4, 3, 2), (2, 5, 5, 4))):
        rng = np.random.default_rng(seed)
        inputs = {
            "G": rng.normal(size=(nq, dv)),
            "Q": rng.normal(size=(nq, d)),
            "K": rng.normal(size=(nk, d)),
            "V": rng.normal(size=(nk, dv)),
        }
        cases.append(
            Case(f"n_q={nq}, n_k={nk}, d={d}, d_v={dv}, seed {seed}", inputs, {}, {"sqrt_d": (np.sqrt(d), "sqrt(d)")})
        )
    return cases


def _attention_numeric(case: Case) -> tuple[np.ndarray, ...]:
    at = {k: case.inputs[k] for k in ("Q", "K", "V")}
    return vjp_numeric(_attention, case.inputs["G"], at, ("Q", "K", "V"))


def _pick(i: int, **options: object) -> Callable[..., np.ndarray]:  # one output of a planted backward pass
    return lambda G, Q, K, V: _attention_grads(G, Q, K, V, **options)[i]  # type: ignore[arg-type]


def _in_dQ_and_dK(diagnosis: str, **options: object) -> tuple[Mistake, Mistake]:
    """A mistake in dS, the softmax's backward pass, which reaches dQ and dK alike: one diagnosis for both."""
    return Mistake("dQ", diagnosis, _pick(0, **options)), Mistake("dK", diagnosis, _pick(1, **options))


ATTENTION_BACKWARD = Exercise(
    name="attention_backward",
    statement="Scaled dot-product attention's backward pass: dQ, dK and dV through the row-wise softmax.",
    page="beyond/attention.md#vjps",
    params=("G", "Q", "K", "V"),
    outputs=("dQ", "dK", "dV"),
    docstring="""Return (dQ, dK, dV) for one head of scaled dot-product attention.

    Forward: S = Q K^T / sqrt(d), P = softmax(S) row by row, O = P V.

    G: (n_q, d_v) dC/dO
    Q: (n_q, d) queries, K: (n_k, d) keys, V: (n_k, d_v) values
    returns dQ: (n_q, d), dK: (n_k, d), dV: (n_k, d_v)""",
    equation='(A4), under "The gradients of Q, K and V in matrix form"',
    reference=_attention_backward,
    numeric=_attention_numeric,
    cases=_attention_cases,
    mistakes=(
        Mistake(
            "dQ",
            "the scale 1/sqrt(d) of the scores is missing: S = Q K^T / sqrt(d), so dQ = dS K / sqrt(d)",
            _pick(0, scale=False),
        ),
        Mistake("dK", "the scale 1/sqrt(d) of the scores is missing: dK = dS^T Q / sqrt(d)", _pick(1, scale=False)),
        *_in_dQ_and_dK(
            "only the diagonal of the softmax Jacobian, P * (1 - P), was used: each score also moves "
            "the other weights of its row (dS = P * (dP - rowsum(dP * P)))",
            softmax_backward="diagonal",
        ),
        *_in_dQ_and_dK(
            "wrong axis summed in the softmax's backward pass: each row of P is normalised along axis 1, "
            "so the sum of dP * P is over axis 1",
            softmax_backward="axis0",
        ),
        Mistake("dK", "transposed: dK = dS^T Q (key j collects from every query), not dS Q", _pick(1, dS_T=False)),
        Mistake(
            "dV",
            "transposed: dV = P^T G (value j collects from every query, with the weight each gave it), not P G",
            lambda G, Q, K, V: softmax(Q @ K.T / np.sqrt(Q.shape[1])) @ G,
        ),
    ),
)


# rnn_bptt ----------------------------------------------------------------------------------------------
def _rnn(X: np.ndarray, h0: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The states h_1 .. h_T of every sequence of the batch: shape (m, T, n_h)."""
    H, h = [], h0
    for t in range(X.shape[1]):
        h = np.tanh(X[:, t] @ W_x.T + h @ W_h.T + b)
        H.append(h)
    return np.stack(H, axis=1)


def _bptt(
    G: np.ndarray,
    X: np.ndarray,
    h0: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    carry: str = "W_h",
    carry_before_tanh: bool = True,
    dW_h_with: str = "previous",
) -> Arrays3:
    """Backpropagation through time, with one of its realistic mistakes when asked."""
    H = _rnn(X, h0, W_x, W_h, b)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    later = np.zeros_like(h0)  # delta_(t+1) W_h: what reaches h_t through the later steps
    for t in range(X.shape[1] - 1, -1, -1):
        h_prev = H[:, t - 1] if t > 0 else h0
        if carry_before_tanh:
            delta = (G[:, t] + later) * (1 - H[:, t] ** 2)  # dC/dz_t
        else:
            delta = G[:, t] * (1 - H[:, t] ** 2) + later
        dW_x += delta.T @ X[:, t]
        dW_h += delta.T @ (h_prev if dW_h_with == "previous" else H[:, t])
        db += delta.sum(axis=0)
        later = {"W_h": delta @ W_h, "W_h^T": delta @ W_h.T, "none": np.zeros_like(h0)}[carry]
    return dW_x, dW_h, db


def _rnn_bptt(G: np.ndarray, X: np.ndarray, h0: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray) -> Arrays3:
    return _bptt(G, X, h0, W_x, W_h, b)


def _rnn_cases() -> list[Case]:
    cases = []
    for seed, (m, T, n_in, n_h) in zip((34, 35, 36), ((2, 4, 3, 5), (3, 5, 2, 3), (4, 3, 4, 2))):
        rng = np.random.default_rng(seed)
        inputs = {
            "G": rng.normal(size=(m, T, n_h)),
            "X": rng.normal(size=(m, T, n_in)),
            "h0": rng.normal(size=(m, n_h)) * 0.5,
            "W_x": rng.normal(size=(n_h, n_in)) / np.sqrt(n_in),
            "W_h": rng.normal(size=(n_h, n_h)) / np.sqrt(n_h),
            "b": rng.normal(size=n_h) * 0.1,
        }
        factors = {"m": (m, "the batch size m"), "T": (T, "the number of time steps T")}
        cases.append(Case(f"m={m}, T={T}, n_in={n_in}, n_h={n_h}, seed {seed}", inputs, {}, factors))
    return cases


def _rnn_numeric(case: Case) -> tuple[np.ndarray, ...]:
    at = {k: case.inputs[k] for k in ("X", "h0", "W_x", "W_h", "b")}
    return vjp_numeric(_rnn, case.inputs["G"], at, ("W_x", "W_h", "b"))


def _rnn_mistake(i: int, **options: object) -> Callable[..., np.ndarray]:
    return lambda G, X, h0, W_x, W_h, b: _bptt(G, X, h0, W_x, W_h, b, **options)[i]  # type: ignore[arg-type]


_TRUNCATED = (
    "a path is missing: the path through later time steps. h_t also feeds z_(t+1), so dC/dh_t is "
    "g_t plus delta_(t+1) W_h, what comes back from step t+1"
)
_CARRY_T = "transposed: the gradient carried from step t+1 back to h_t is delta_(t+1) W_h, not delta_(t+1) W_h^T"
_CARRY_TANH = (
    "the gradient carried back from step t+1 skipped tanh': add it to g_t first, then multiply the sum by 1 - h_t^2"
)
_OUT = ("dW_x", "dW_h", "db")

RNN_BPTT = Exercise(
    name="rnn_bptt",
    statement="Backpropagation through time for a tanh RNN: dW_x, dW_h and db summed over every step.",
    page="beyond/bptt.md#copies",
    params=("G", "X", "h0", "W_x", "W_h", "b"),
    outputs=_OUT,
    docstring="""Return (dW_x, dW_h, db) for an Elman RNN with tanh, unrolled over T steps.

    Forward, for t = 1 .. T (code index t - 1), every sequence r of the batch:
    h_t = tanh(x_t W_x^T + h_(t-1) W_h^T + b), starting from h_0 = h0

    G: (m, T, n_h) g_t = the partial derivative of the cost with respect to h_t, through the
       outputs read at step t only (not through the later steps)
    X: (m, T, n_in) the input sequences; h0: (m, n_h) the initial states
    W_x: (n_h, n_in), W_h: (n_h, n_h), b: (n_h,) the weights every step shares
    returns dW_x: (n_h, n_in), dW_h: (n_h, n_h), db: (n_h,)""",
    equation="(T2) for the recursion and (T3) for the sums over the steps",
    reference=_rnn_bptt,
    numeric=_rnn_numeric,
    cases=_rnn_cases,
    mistakes=(
        *(Mistake(name, _TRUNCATED, _rnn_mistake(i, carry="none")) for i, name in enumerate(_OUT)),
        *(Mistake(name, _CARRY_T, _rnn_mistake(i, carry="W_h^T")) for i, name in enumerate(_OUT)),
        *(Mistake(name, _CARRY_TANH, _rnn_mistake(i, carry_before_tanh=False)) for i, name in enumerate(_OUT)),
        Mistake(
            "dW_h",
            "dW_h paired step t's delta with h_t; W_h multiplies h_(t-1) at step t, so pair it with the previous state",
            _rnn_mistake(1, dW_h_with="current"),
        ),
        Mistake(
            "db",
            "off by a factor m = {m}: db sums over the batch and the steps; yours averaged over the batch",
            lambda G, X, h0, W_x, W_h, b: _bptt(G, X, h0, W_x, W_h, b)[2] / X.shape[0],
        ),
    ),
)
