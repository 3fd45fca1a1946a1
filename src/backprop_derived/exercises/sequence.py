"""Exercises on sequence models: scaled dot-product attention and backpropagation through time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._base import Arrays3, Case, Exercise, Mistake, softmax, vjp_numeric


# attention_backward --------------------------------------------------------------------------------
def _attention(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> np.ndarray:
    return softmax(Q @ K.T / np.sqrt(Q.shape[1])) @ V


def _attention_grads(
    dO: np.ndarray,
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
    dP = dO @ V.T
    if softmax_backward == "full":  # each row of P is a softmax of its row of scores
        dS = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    elif softmax_backward == "diagonal":
        dS = P * (1 - P) * dP
    else:  # "axis0"
        dS = P * (dP - np.sum(dP * P, axis=0, keepdims=True))
    s = 1 / np.sqrt(d) if scale else 1.0
    return dS @ K * s, (dS.T if dS_T else dS) @ Q * s, P.T @ dO


def _attention_backward(dO: np.ndarray, Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> Arrays3:
    return _attention_grads(dO, Q, K, V)


def _attention_cases() -> list[Case]:
    cases = []
    for seed, (nq, nk, d, dv) in zip((31, 32, 33), ((3, 4, 2, 3), (4, 4, 3, 2), (2, 5, 5, 4))):
        rng = np.random.default_rng(seed)
        inputs = {
            "dO": rng.normal(size=(nq, dv)),
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
    return vjp_numeric(_attention, case.inputs["dO"], at, ("Q", "K", "V"))


def _pick(i: int, **options: object) -> Callable[..., np.ndarray]:  # one output of a planted backward pass
    return lambda dO, Q, K, V: _attention_grads(dO, Q, K, V, **options)[i]  # type: ignore[arg-type]


ATTENTION_BACKWARD = Exercise(
    name="attention_backward",
    statement="Scaled dot-product attention's backward pass: dQ, dK and dV through the row-wise softmax.",
    page="beyond/attention.md",
    params=("dO", "Q", "K", "V"),
    outputs=("dQ", "dK", "dV"),
    docstring="""Return (dQ, dK, dV) for one head of scaled dot-product attention.

    Forward: S = Q K^T / sqrt(d), P = softmax(S) row by row, O = P V.

    dO: (n_q, d_v) dC/dO
    Q: (n_q, d) queries, K: (n_k, d) keys, V: (n_k, d_v) values
    returns dQ: (n_q, d), dK: (n_k, d), dV: (n_k, d_v)""",
    equation="the page's attention backward pass",
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
        Mistake(
            "dQ",
            "only the diagonal of the softmax Jacobian, P * (1 - P), was used: each score also moves "
            "the other weights of its row (dS = P * (dP - rowsum(dP * P)))",
            _pick(0, softmax_backward="diagonal"),
        ),
        Mistake(
            "dK",
            "only the diagonal of the softmax Jacobian, P * (1 - P), was used: each score also moves "
            "the other weights of its row (dS = P * (dP - rowsum(dP * P)))",
            _pick(1, softmax_backward="diagonal"),
        ),
        Mistake(
            "dQ",
            "wrong axis summed in the softmax's backward pass: each row of P is normalised along axis 1, "
            "so the sum of dP * P is over axis 1",
            _pick(0, softmax_backward="axis0"),
        ),
        Mistake(
            "dK",
            "wrong axis summed in the softmax's backward pass: each row of P is normalised along axis 1, "
            "so the sum of dP * P is over axis 1",
            _pick(1, softmax_backward="axis0"),
        ),
        Mistake("dK", "transposed: dK = dS^T Q (key j collects from every query), not dS Q", _pick(1, dS_T=False)),
        Mistake(
            "dV",
            "transposed: dV = P^T dO (value j collects from every query, with the weight each gave it), not P dO",
            lambda dO, Q, K, V: softmax(Q @ K.T / np.sqrt(Q.shape[1])) @ dO,
        ),
    ),
)


# rnn_bptt ----------------------------------------------------------------------------------------------
def _rnn(X: np.ndarray, H0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> np.ndarray:
    H, h = [], H0
    for x in X:
        h = np.tanh(x @ Wx.T + h @ Wh.T + b)
        H.append(h)
    return np.stack(H)


def _bptt(
    dH: np.ndarray,
    X: np.ndarray,
    H0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    carry: str = "Wh",
    carry_before_tanh: bool = True,
    dWh_with: str = "previous",
) -> Arrays3:
    """Backpropagation through time, with one of its realistic mistakes when asked."""
    H = _rnn(X, H0, Wx, Wh, b)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    back = np.zeros_like(H0)  # dC/dH_t through the later steps
    for t in range(len(X) - 1, -1, -1):
        h_prev = H[t - 1] if t > 0 else H0
        if carry_before_tanh:
            da = (dH[t] + back) * (1 - H[t] ** 2)  # dC/d(pre-activation) at step t
        else:
            da = dH[t] * (1 - H[t] ** 2) + back
        dWx += da.T @ X[t]
        dWh += da.T @ (h_prev if dWh_with == "previous" else H[t])
        db += da.sum(axis=0)
        back = {"Wh": da @ Wh, "Wh^T": da @ Wh.T, "none": np.zeros_like(H0)}[carry]
    return dWx, dWh, db


def _rnn_bptt(dH: np.ndarray, X: np.ndarray, H0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> Arrays3:
    return _bptt(dH, X, H0, Wx, Wh, b)


def _rnn_cases() -> list[Case]:
    cases = []
    for seed, (T, m, n_in, n_h) in zip((34, 35, 36), ((4, 2, 3, 5), (5, 3, 2, 3), (3, 4, 4, 2))):
        rng = np.random.default_rng(seed)
        inputs = {
            "dH": rng.normal(size=(T, m, n_h)),
            "X": rng.normal(size=(T, m, n_in)),
            "H0": rng.normal(size=(m, n_h)) * 0.5,
            "Wx": rng.normal(size=(n_h, n_in)) / np.sqrt(n_in),
            "Wh": rng.normal(size=(n_h, n_h)) / np.sqrt(n_h),
            "b": rng.normal(size=n_h) * 0.1,
        }
        cases.append(
            Case(
                f"T={T}, m={m}, n_in={n_in}, n_h={n_h}, seed {seed}",
                inputs,
                {},
                {"m": (m, "the batch size m"), "T": (T, "the number of time steps T")},
            )
        )
    return cases


def _rnn_numeric(case: Case) -> tuple[np.ndarray, ...]:
    at = {k: case.inputs[k] for k in ("X", "H0", "Wx", "Wh", "b")}
    return vjp_numeric(_rnn, case.inputs["dH"], at, ("Wx", "Wh", "b"))


def _rnn_mistake(i: int, **options: object) -> Callable[..., np.ndarray]:
    return lambda dH, X, H0, Wx, Wh, b: _bptt(dH, X, H0, Wx, Wh, b, **options)[i]  # type: ignore[arg-type]


_TRUNCATED = (
    "a path is missing: the path through later time steps. H_t also feeds H_(t+1), so the gradient "
    "at step t is dH[t] plus what comes back from step t+1 through Wh"
)
_CARRY_T = "transposed: the gradient carried from step t+1 back to step t is (dC/da_(t+1)) Wh, not ... Wh^T"
_CARRY_TANH = (
    "the gradient carried back from step t+1 skipped tanh': add it to dH[t] first, then multiply the sum by 1 - H_t^2"
)

RNN_BPTT = Exercise(
    name="rnn_bptt",
    statement="Backpropagation through time for a tanh RNN: dWx, dWh and db summed over every step.",
    page="beyond/bptt.md",
    params=("dH", "X", "H0", "Wx", "Wh", "b"),
    outputs=("dWx", "dWh", "db"),
    docstring="""Return (dWx, dWh, db) for a vanilla tanh RNN unrolled over T steps.

    Forward, for t = 0 .. T-1 (with H_(-1) = H0):
    H[t] = tanh(X[t] Wx^T + H[t-1] Wh^T + b)

    dH: (T, m, n_h) dC/dH[t] through the outputs read at step t only (not through later steps)
    X: (T, m, n_in) the inputs; H0: (m, n_h) the initial state
    Wx: (n_h, n_in), Wh: (n_h, n_h), b: (n_h,) the weights shared by every step
    returns dWx: (n_h, n_in), dWh: (n_h, n_h), db: (n_h,)""",
    equation="the page's backward pass through time",
    reference=_rnn_bptt,
    numeric=_rnn_numeric,
    cases=_rnn_cases,
    mistakes=(
        *(Mistake(name, _TRUNCATED, _rnn_mistake(i, carry="none")) for i, name in enumerate(("dWx", "dWh", "db"))),
        *(Mistake(name, _CARRY_T, _rnn_mistake(i, carry="Wh^T")) for i, name in enumerate(("dWx", "dWh", "db"))),
        *(
            Mistake(name, _CARRY_TANH, _rnn_mistake(i, carry_before_tanh=False))
            for i, name in enumerate(("dWx", "dWh", "db"))
        ),
        Mistake(
            "dWh",
            "dWh paired step t's gradient with H_t; Wh multiplies H_(t-1) at step t, so pair it with "
            "the previous state",
            _rnn_mistake(1, dWh_with="current"),
        ),
        Mistake(
            "db",
            "off by a factor m = {m}: db sums over the batch and the steps; yours averaged over the batch",
            lambda dH, X, H0, Wx, Wh, b: _bptt(dH, X, H0, Wx, Wh, b)[2] / X.shape[1],
        ),
    ),
)
