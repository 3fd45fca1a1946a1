"""bp.autodiff.attention, rnn and clip_grad_norm: each checked three ways.

1. Finite differences of the value (VJP and JVP), and the adjoint identity <u, J v> = <J^T u, v>.
2. The same function composed from the engine's primitive operations (its gradients come from the
   primitives' own VJPs, not from the hand-derived ones).
3. PyTorch where it is installed (tests/test_sequence_torch.py).

Plus written-out loops for the values, and every bad input.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, attention, clip_grad_norm, jvp, rnn

H = 1e-6  # central-difference step


# --- written-out references ----------------------------------------------------------------------


def attention_loops(Q, K, V, mask=None):
    """softmax(q_i k_j / sqrt(d)) averaged over v_j, one query at a time, the softmax written out."""
    t, d = Q.shape
    out = np.zeros((t, V.shape[1]))
    for i in range(t):
        keys = [j for j in range(K.shape[0]) if mask is None or mask[i, j]]
        scores = np.array([Q[i] @ K[j] / np.sqrt(d) for j in keys])
        weights = np.exp(scores - scores.max())
        weights /= weights.sum()
        for w, j in zip(weights, keys):
            out[i] += w * V[j]
    return out


def rnn_loops(X, h0, W_x, W_h, b, f=np.tanh):
    """h_t = f(x_t W_x^T + h_{t-1} W_h^T + b), one unit at a time."""
    m, T, _ = X.shape
    n_h = W_h.shape[0]
    H = np.zeros((m, T, n_h))
    for r in range(m):
        h = h0[r]
        for t in range(T):
            z = np.array([X[r, t] @ W_x[i] + h @ W_h[i] + b[i] for i in range(n_h)])
            h = H[r, t] = f(z)
    return H


def numeric_vjp(f, arrays, k, R):
    """d(sum f(arrays) * R) / d arrays[k] by central differences."""

    def cost(x):
        args = list(arrays)
        args[k] = x
        return np.sum(f(*args) * R)

    return bp.numerical_jacobian(cost, arrays[k], h=H).reshape(arrays[k].shape)


def engine_grads(op, arrays, R):
    """The engine's gradients of sum(op(...) * R) for every input."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    (op(*xs) * Tensor(R)).sum().backward()
    return [x.grad for x in xs]


def value_of(op):
    return lambda *arrays: op(*(Tensor(a) for a in arrays)).data


# --- attention -----------------------------------------------------------------------------------


def causal(t):
    return np.tril(np.ones((t, t), dtype=bool))


def attention_case(rng, batched, t=4, t_keys=5, d=3, d_v=2):
    lead = (2,) if batched else ()
    return [rng.normal(size=lead + s) for s in ((t, d), (t_keys, d), (t_keys, d_v))]


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_value_matches_the_loops(rng, batched, masked):
    Q, K, V = attention_case(rng, batched, t=4, t_keys=4)
    mask = causal(4) if masked else None
    got = attention(Tensor(Q), Tensor(K), Tensor(V), mask).data
    if batched:
        expected = np.stack([attention_loops(Q[r], K[r], V[r], mask) for r in range(2)])
    else:
        expected = attention_loops(Q, K, V, mask)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_vjp_matches_central_differences(rng, batched, masked):
    Q, K, V = attention_case(rng, batched, t=4, t_keys=4)
    mask = causal(4) if masked else None
    op = lambda q, k, v: attention(q, k, v, mask)  # noqa: E731
    R = rng.normal(size=Q.shape[:-1] + (V.shape[-1],))
    for k, g in enumerate(engine_grads(op, [Q, K, V], R)):
        np.testing.assert_allclose(g, numeric_vjp(value_of(op), [Q, K, V], k, R), rtol=1e-6, atol=1e-9)


def attention_grads_decimal(Q, K, V, G, digits=60):
    """dC/dQ, dC/dK and dC/dV of <G, attention(Q, K, V)> in 60-digit decimals, written out entry by entry."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = digits
        D = lambda A: [[Decimal(float(x)) for x in row] for row in A]  # noqa: E731
        q, k, v, g = D(Q), D(K), D(V), D(G)
        t, t_keys, d = len(q), len(k), len(q[0])
        scale = 1 / Decimal(d).sqrt()
        S = [[sum(q[i][c] * k[j][c] for c in range(d)) * scale for j in range(t_keys)] for i in range(t)]
        P = []
        for row in S:
            e = [(s - max(row)).exp() for s in row]
            P.append([x / sum(e) for x in e])
        dP = [[sum(g[i][c] * v[j][c] for c in range(len(v[0]))) for j in range(t_keys)] for i in range(t)]
        dS = [[P[i][j] * (dP[i][j] - sum(P[i][n] * dP[i][n] for n in range(t_keys))) for j in range(t_keys)]
              for i in range(t)]  # fmt: skip
        dQ = [[sum(dS[i][j] * k[j][c] for j in range(t_keys)) * scale for c in range(d)] for i in range(t)]
        dK = [[sum(dS[i][j] * q[i][c] for i in range(t)) * scale for c in range(d)] for j in range(t_keys)]
        dV = [[sum(P[i][j] * g[i][c] for i in range(t)) for c in range(len(v[0]))] for j in range(t_keys)]
        return [np.array([[float(x) for x in row] for row in A]) for A in (dQ, dK, dV)]


def test_attention_vjp_is_accurate_on_saturated_rows(rng):
    # Large scores put nearly all of a row's weight on one key (largest p up to 1 - 1e-12): the
    # subtraction dP - rowsum(P * dP) then cancels; the engine shifts dP first. Reference: 60 digits.
    Q, K, V = (rng.normal(size=(6, 8)) for _ in range(3))
    Q *= 40.0
    G = rng.normal(size=(6, 8))
    S = Q @ K.T / np.sqrt(8)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    assert (P.max(axis=1) > 1 - 1e-6).sum() >= 3  # the case is saturated
    grads = engine_grads(attention, [Q, K, V], G)
    exact = attention_grads_decimal(Q, K, V, G)
    # A saturated row's dC/dQ is tiny beside the others: compare each query's row with its own size.
    row_error = np.linalg.norm(grads[0] - exact[0], axis=1) / np.linalg.norm(exact[0], axis=1)
    assert row_error.max() < 1e-9, row_error
    for g, e in zip(grads[1:], exact[1:]):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12 * np.abs(e).max())


def test_attention_computes_the_score_cotangent_once_for_q_and_k(rng):
    Q, K, V = (Tensor(rng.normal(size=(4, 3)), requires_grad=True) for _ in range(3))
    out = attention(Q, K, V)
    op, g = out._op, Tensor(rng.normal(size=(4, 3)))
    first = op.vjp(g, 0).data
    assert op._scores_for is not None and op._scores_for[0] is g  # kept for K
    second = op.vjp(g, 1).data
    assert op._scores_for is None  # released once K has it
    np.testing.assert_array_equal(op.vjp(g, 0).data, first)  # recomputed: the same numbers
    np.testing.assert_array_equal(op.vjp(g, 1).data, second)


def test_rnn_releases_its_sweep_once_every_input_has_its_gradient(rng):
    X, h0 = Tensor(rng.normal(size=(2, 3, 2))), Tensor(np.zeros((2, 4)))
    W_x, W_h, b = (Tensor(rng.normal(size=s), requires_grad=True) for s in ((4, 2), (4, 4), (4,)))
    out = rnn(X, h0, W_x, W_h, b)
    op, g = out._op, Tensor(rng.normal(size=(2, 3, 4)))
    grads = [op.vjp(g, i).data for i in (2, 3)]
    assert op._grads is not None  # b still to come
    grads.append(op.vjp(g, 4).data)
    assert op._grads is None
    for i, expected in zip((2, 3, 4), grads):  # recomputed after the release: the same numbers
        np.testing.assert_array_equal(op.vjp(g, i).data, expected)


@pytest.mark.parametrize("batched", [False, True])
def test_attention_jvp_matches_central_differences_and_the_vjp(rng, batched):
    Q, K, V = attention_case(rng, batched, t=4, t_keys=4)
    mask = causal(4)
    op = lambda q, k, v: attention(q, k, v, mask)  # noqa: E731
    tangents = [rng.normal(size=a.shape) for a in (Q, K, V)]
    value, tangent = jvp(op, [Q, K, V], tangents)
    f = value_of(op)
    up = f(*(a + H * v for a, v in zip((Q, K, V), tangents)))
    down = f(*(a - H * v for a, v in zip((Q, K, V), tangents)))
    np.testing.assert_allclose(value, f(Q, K, V), atol=0)
    np.testing.assert_allclose(tangent, (up - down) / (2 * H), rtol=1e-6, atol=1e-9)
    u = rng.normal(size=value.shape)  # <u, J v> = <J^T u, v>: the two rules are each other's adjoint
    grads = engine_grads(op, [Q, K, V], u)
    assert np.sum(u * tangent) == pytest.approx(sum(np.sum(g * v) for g, v in zip(grads, tangents)), rel=1e-12)


@pytest.mark.parametrize("masked", [False, True])
def test_attention_matches_the_same_function_composed_from_primitives(rng, masked):
    Q, K, V = attention_case(rng, batched=True, t=4, t_keys=4)
    mask = causal(4) if masked else None
    R = rng.normal(size=(2, 4, 2))
    ours = engine_grads(lambda q, k, v: attention(q, k, v, mask), [Q, K, V], R)

    q, k, v = (Tensor(a, requires_grad=True) for a in (Q, K, V))
    blocked = Tensor(np.where(mask, 0.0, -1e30)) if masked else 0.0  # exp(-1e30 - max) is exactly 0
    C = 0.0
    for r in range(2):
        P = (q[r] @ k[r].T * (1 / np.sqrt(3)) + blocked).softmax(axis=-1)
        C = C + (P @ v[r] * Tensor(R[r])).sum()
    C.backward()
    value = attention(Tensor(Q), Tensor(K), Tensor(V), mask).data
    assert float(C.data) == pytest.approx(float(np.sum(value * R)), rel=1e-12)
    for g, x in zip(ours, (q, k, v)):
        np.testing.assert_allclose(g, x.grad, rtol=1e-10, atol=1e-12)


def test_causal_mask_keeps_the_future_out(rng):
    Q, K, V = attention_case(rng, batched=False, t=5, t_keys=5)
    R = np.zeros((5, 2))
    R[1] = rng.normal(size=2)  # a cost that reads only output row 1
    dQ, dK, dV = engine_grads(lambda q, k, v: attention(q, k, v, causal(5)), [Q, K, V], R)
    assert np.all(dK[2:] == 0) and np.all(dV[2:] == 0)  # keys 3..5 are in row 1's future
    assert np.all(dQ[[0, 2, 3, 4]] == 0)
    assert np.abs(dK[:2]).min() > 0 and np.abs(dV[:2]).min() > 0


def hvp_by_differences(f, primals, vector, h=1e-5):
    """(grad f(x + h v) - grad f(x - h v)) / (2 h), each gradient by reverse mode."""

    def grads(xs):
        ts = [Tensor(a, requires_grad=True) for a in xs]
        f(*ts).backward()
        return [t.grad for t in ts]

    up = grads([a + h * v for a, v in zip(primals, vector)])
    down = grads([a - h * v for a, v in zip(primals, vector)])
    return [(u - d) / (2 * h) for u, d in zip(up, down)]


@pytest.mark.parametrize("batched", [False, True])
def test_hvp_through_attention_matches_differences_of_the_gradient(rng, batched):
    Q, K, V = attention_case(rng, batched, t=4, t_keys=4)
    R = rng.normal(size=Q.shape[:-1] + (2,))

    def f(q, k, v):  # a cost whose own second derivative is not zero either
        O = attention(q, k, v, causal(4))
        return (O * Tensor(R)).sum() + 0.5 * (O * O).sum()

    vector = [rng.normal(size=a.shape) for a in (Q, K, V)]
    for ours, numeric in zip(bp.autodiff.hvp(f, [Q, K, V], vector), hvp_by_differences(f, [Q, K, V], vector)):
        np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)
    u = [rng.normal(size=a.shape) for a in (Q, K, V)]  # the Hessian is symmetric: <u, H v> = <v, H u>
    Hv, Hu = bp.autodiff.hvp(f, [Q, K, V], vector), bp.autodiff.hvp(f, [Q, K, V], u)
    left = sum(np.sum(a * b) for a, b in zip(u, Hv))
    assert left == pytest.approx(sum(np.sum(a * b) for a, b in zip(vector, Hu)), rel=1e-10)


def test_attention_bad_inputs(rng):
    Q, K, V = (Tensor(a) for a in attention_case(rng, batched=False, t=4, t_keys=4))
    with pytest.raises(TypeError, match="Q must be a Tensor"):
        attention(Q.data, K, V)
    with pytest.raises(ValueError, match="K must have Q's row length d = 3"):
        attention(Q, Tensor(np.ones((4, 2))), V)
    with pytest.raises(ValueError, match="V needs one row per key"):
        attention(Q, K, Tensor(np.ones((3, 2))))
    with pytest.raises(ValueError, match="all be matrices"):
        attention(Q, K, Tensor(np.ones((1, 4, 2))))
    with pytest.raises(ValueError, match="same batch size"):
        attention(Tensor(np.ones((2, 4, 3))), Tensor(np.ones((3, 4, 3))), Tensor(np.ones((3, 4, 2))))
    with pytest.raises(ValueError, match="empty"):
        attention(Tensor(np.ones((0, 3))), K, V)
    with pytest.raises(TypeError, match="dtype bool"):
        attention(Q, K, V, mask=np.tril(np.ones((4, 4))))
    with pytest.raises(ValueError, match=r"mask must have shape \(t, t'\) = \(4, 4\); got \(4, 3\)"):
        attention(Q, K, V, mask=np.ones((4, 3), dtype=bool))
    mask = causal(4)
    mask[2] = False
    with pytest.raises(ValueError, match=r"every key for query row\(s\) \[2\]"):
        attention(Q, K, V, mask=mask)


# --- rnn -------------------------------------------------------------------------------------------


def rnn_case(rng, m=2, T=4, n_in=3, n_h=5):
    return [
        rng.normal(size=(m, T, n_in)),
        rng.normal(size=(m, n_h)) * 0.5,
        rng.normal(size=(n_h, n_in)) / np.sqrt(n_in),
        rng.normal(size=(n_h, n_h)) / np.sqrt(n_h),
        rng.normal(size=n_h) * 0.1,
    ]


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "identity": lambda z: z}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_rnn_value_matches_the_loops(rng, name):
    arrays = rnn_case(rng)
    got = rnn(*(Tensor(a) for a in arrays), activation=name).data
    np.testing.assert_allclose(got, rnn_loops(*arrays, f=ACTIVATIONS[name]), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_rnn_vjp_is_bptt_and_matches_central_differences(rng, name):
    arrays = rnn_case(rng)
    op = lambda *xs: rnn(*xs, activation=name)  # noqa: E731
    R = rng.normal(size=(2, 4, 5))
    for k, g in enumerate(engine_grads(op, arrays, R)):
        np.testing.assert_allclose(g, numeric_vjp(value_of(op), arrays, k, R), rtol=1e-6, atol=1e-9)


def test_rnn_relu_away_from_its_kink(rng):
    arrays = rnn_case(rng, T=3)
    op = lambda *xs: rnn(*xs, activation="relu")  # noqa: E731
    Z_min = np.abs(_pre_activations(*arrays, f=lambda z: np.maximum(z, 0))).min()
    assert Z_min > 10 * H  # no pre-activation within reach of the step: the derivative is defined
    R = rng.normal(size=(2, 3, 5))
    for k, g in enumerate(engine_grads(op, arrays, R)):
        np.testing.assert_allclose(g, numeric_vjp(value_of(op), arrays, k, R), rtol=1e-6, atol=1e-9)


def _pre_activations(X, h0, W_x, W_h, b, f):
    Z, h = [], h0
    for t in range(X.shape[1]):
        Z.append(X[:, t] @ W_x.T + h @ W_h.T + b)
        h = f(Z[-1])
    return np.stack(Z, axis=1)


def test_rnn_jvp_matches_central_differences_and_the_vjp(rng):
    arrays = rnn_case(rng)
    tangents = [rng.normal(size=a.shape) for a in arrays]
    value, tangent = jvp(rnn, arrays, tangents)
    f = value_of(rnn)
    up = f(*(a + H * v for a, v in zip(arrays, tangents)))
    down = f(*(a - H * v for a, v in zip(arrays, tangents)))
    np.testing.assert_allclose(tangent, (up - down) / (2 * H), rtol=1e-6, atol=1e-9)
    u = rng.normal(size=value.shape)
    grads = engine_grads(rnn, arrays, u)
    assert np.sum(u * tangent) == pytest.approx(sum(np.sum(g * v) for g, v in zip(grads, tangents)), rel=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_rnn_matches_the_same_function_composed_from_primitives(rng, name):
    arrays = rnn_case(rng, T=6)
    R = rng.normal(size=(2, 6, 5))
    ours = engine_grads(lambda *xs: rnn(*xs, activation=name), arrays, R)

    X, h, W_x, W_h, b = (Tensor(a, requires_grad=True) for a in arrays)
    leaves = [X, h, W_x, W_h, b]
    C = 0.0
    for t in range(6):  # the unrolled graph: T copies of one step, each reading the shared weights
        h = (X[:, t] @ W_x.T + h @ W_h.T + b).activation(name)
        C = C + (h * Tensor(R[:, t])).sum()
    C.backward()
    for g, x in zip(ours, leaves):
        np.testing.assert_allclose(g, x.grad, rtol=1e-10, atol=1e-12)


def test_shared_weight_gradient_is_the_sum_of_its_copies(rng):
    X, h0, W_x, W_h, b = rnn_case(rng, T=4)
    R = rng.normal(size=(2, 4, 5))

    def cost_with_copies(copies):  # copies[t] is the W_h of step t + 1 only
        h, C = h0, 0.0
        for t in range(4):
            h = np.tanh(X[:, t] @ W_x.T + h @ copies[t].T + b)
            C += np.sum(h * R[:, t])
        return C

    per_copy = bp.numerical_jacobian(cost_with_copies, np.repeat(W_h[None], 4, axis=0), h=H).reshape(4, 5, 5)
    _, _, _, dW_h, _ = engine_grads(rnn, [X, h0, W_x, W_h, b], R)
    np.testing.assert_allclose(per_copy.sum(axis=0), dW_h, rtol=1e-6, atol=1e-9)
    assert np.abs(per_copy[0]).max() > 1e-3  # every copy contributes: no term is empty
    assert not np.allclose(per_copy[0], per_copy[-1])


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "identity"])
def test_hvp_through_rnn_matches_differences_of_the_gradient(rng, name):
    arrays = rnn_case(rng, T=5)
    R = rng.normal(size=(2, 5, 5))

    def f(*xs):
        H = rnn(*xs, activation=name)
        return (H * Tensor(R)).sum() + 0.5 * (H * H).sum()

    vector = [rng.normal(size=a.shape) for a in arrays]
    for ours, numeric in zip(bp.autodiff.hvp(f, arrays, vector), hvp_by_differences(f, arrays, vector)):
        np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)


def test_hvp_through_rnn_needs_a_second_derivative_only_where_an_input_moves(rng):
    class Softsign(bp.Activation):  # an activation that defines no second derivative
        name = "softsign_for_test"

        def _value(self, z):
            return z / (1 + np.abs(z))

        def _derivative(self, z, a):
            return 1 / (1 + np.abs(z)) ** 2

    bp.register_activation(Softsign())
    try:
        arrays = rnn_case(rng, T=3)
        f = lambda *xs: (rnn(*xs, activation="softsign_for_test") ** 2).sum()  # noqa: E731
        with pytest.raises(NotImplementedError, match="rnn with the activation 'softsign_for_test'"):
            bp.autodiff.hvp(f, arrays, [np.ones_like(a) for a in arrays])
        # Only the cotangent moves (the rnn's inputs carry no tangent): sigma'(z) stands still, no
        # second derivative is needed, and the Hessian of 1/2 sum (H * W2)^2 in W2 is H^2, entry by entry.
        X, h0, W_x, W_h, b = arrays
        H = rnn(*(Tensor(a) for a in arrays), activation="softsign_for_test").data

        def g(W2):
            inner = Tensor(W_x, requires_grad=True)  # f's own leaf: it needs a gradient, carries no tangent
            out = rnn(Tensor(X), Tensor(h0), inner, Tensor(W_h), Tensor(b), activation="softsign_for_test")
            return 0.5 * ((out * W2) ** 2).sum()

        v = rng.normal(size=H.shape)
        (ours,) = bp.autodiff.hvp(g, [np.ones(H.shape)], [v])
        np.testing.assert_allclose(ours, H**2 * v, rtol=1e-12, atol=1e-15)
    finally:
        bp.unregister_activation("softsign_for_test")


def test_rnn_bad_inputs(rng):
    X, h0, W_x, W_h, b = (Tensor(a) for a in rnn_case(rng))
    with pytest.raises(TypeError, match="W_h must be a Tensor"):
        rnn(X, h0, W_x, W_h.data, b)
    with pytest.raises(ValueError, match=r"X must have shape \(m, T, n_in\)"):
        rnn(Tensor(np.ones((2, 3))), h0, W_x, W_h, b)
    with pytest.raises(ValueError, match=r"X must have shape \(m, T, n_in\) with every size >= 1"):
        rnn(Tensor(np.ones((2, 0, 3))), h0, W_x, W_h, b)
    with pytest.raises(ValueError, match="W_h must be square"):
        rnn(X, h0, W_x, Tensor(np.ones((5, 4))), b)
    with pytest.raises(ValueError, match=r"W_x must have shape \(5, 3\)"):
        rnn(X, h0, W_x.T, W_h, b)  # the (in, out) layout of other books
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 5\)"):
        rnn(X, Tensor(np.zeros(5)), W_x, W_h, b)
    with pytest.raises(ValueError, match=r"b must have shape \(5,\)"):
        rnn(X, h0, W_x, W_h, Tensor(np.zeros((1, 5))))
    with pytest.raises(TypeError, match="activation must be the name"):
        rnn(X, h0, W_x, W_h, b, activation=np.tanh)
    with pytest.raises(ValueError, match="softmax"):
        rnn(X, h0, W_x, W_h, b, activation="softmax")


# --- clip_grad_norm --------------------------------------------------------------------------------


def with_grads(*grads):
    out = []
    for g in grads:
        t = Tensor(np.zeros_like(g), requires_grad=True)
        t.grad = np.array(g, dtype=float)
        out.append(t)
    return out


def test_clip_grad_norm_scales_every_gradient_by_one_factor():
    a, b = with_grads([[3.0, 0.0]], [4.0, 0.0, 12.0])  # joint norm sqrt(9 + 16 + 144) = 13
    before = clip_grad_norm([a, b], 6.5)
    assert before == 13.0
    np.testing.assert_array_equal(a.grad, [[1.5, 0.0]])
    np.testing.assert_array_equal(b.grad, [2.0, 0.0, 6.0])


def test_clip_grad_norm_leaves_a_small_gradient_alone():
    a, b = with_grads([3.0], [4.0])
    assert clip_grad_norm([a, b], 5.0) == 5.0
    assert clip_grad_norm([a, b], 100.0) == 5.0
    np.testing.assert_array_equal(a.grad, [3.0])
    np.testing.assert_array_equal(b.grad, [4.0])


def test_clip_grad_norm_skips_missing_gradients_and_scales_shared_arrays_once():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    unused = Tensor([1.0], requires_grad=True)
    (x + y).sum().backward()  # + hands one cotangent to both inputs
    assert clip_grad_norm([x, y, unused], 1.0) == pytest.approx(2.0)
    np.testing.assert_allclose(x.grad, [0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(y.grad, [0.5, 0.5], rtol=1e-15)
    assert unused.grad is None


def test_clip_grad_norm_bad_inputs():
    (a,) = with_grads([1.0])
    with pytest.raises(TypeError, match="list or tuple of Tensors"):
        clip_grad_norm(a, 1.0)
    with pytest.raises(TypeError, match=r"tensors\[1\] must be a Tensor"):
        clip_grad_norm([a, np.ones(2)], 1.0)
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="max_norm"):
            clip_grad_norm([a], bad)
    with pytest.raises(TypeError, match="max_norm"):
        clip_grad_norm([a], "1")
    with pytest.raises(ValueError, match="no tensor has a gradient"):
        clip_grad_norm([Tensor([1.0])], 1.0)
    (big,) = with_grads([1e200, 1e200])  # a finite norm, though its square overflows
    assert clip_grad_norm([big], 1.0) == pytest.approx(np.sqrt(2) * 1e200, rel=1e-15)
    (infinite,) = with_grads([np.inf, 1.0])
    with pytest.raises(ValueError, match="norm is inf"):
        clip_grad_norm([infinite], 1.0)
