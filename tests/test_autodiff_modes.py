"""The functional API (jvp, vjp, grad, hvp), checkpointing, and the engine's refusals of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, checkpoint, grad, hvp, jvp, softmax_cross_entropy, vjp

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True)


def small_net(hidden="tanh", seed=0, sizes=(3, 4, 2), m=5):
    """A small net's cost as a function of its four parameter arrays, with its data and parameters."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0]))
    Y = np.eye(sizes[2])[rng.integers(0, sizes[2], m)]
    params = [
        rng.normal(size=(sizes[1], sizes[0])),
        rng.normal(size=sizes[1]),
        rng.normal(size=(sizes[2], sizes[1])),
        rng.normal(size=sizes[2]),
    ]

    def cost(W1, b1, W2, b2):
        return softmax_cross_entropy((Tensor(X) @ W1.T + b1).activation(hidden) @ W2.T + b2, Y)

    cost.X, cost.Y = X, Y  # type: ignore[attr-defined]
    return cost, params


def flat_gradient(f, params):
    """The engine's gradient of f at params, flattened into one vector."""
    _, pullback = vjp(f, *params)
    return np.concatenate([g.reshape(-1) for g in pullback(np.ones(()))])


def unflatten(vector, like):
    out, start = [], 0
    for p in like:
        out.append(vector[start : start + p.size].reshape(p.shape))
        start += p.size
    return out


# --- hvp -------------------------------------------------------------------------------------


@SETTINGS
@given(n=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_hvp_of_a_quadratic_is_its_matrix_times_v(n, seed):
    """f(x) = 1/2 x^T Q x + c.x has the Hessian (Q + Q^T)/2, written out."""
    rng = np.random.default_rng(seed)
    Q, c, x, v = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)

    def f(x):
        row = x.reshape(1, n)
        return ((row @ Tensor(Q)) @ row.T).sum() * 0.5 + (x * Tensor(c)).sum()

    (Hv,) = hvp(f, [x], [v])
    np.testing.assert_allclose(Hv, 0.5 * (Q + Q.T) @ v, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(m=st.integers(1, 5), n=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_hvp_of_a_sum_of_sigmoids_against_its_closed_form(m, n, seed):
    """f(w) = sum_r sigma(A_r . w) has H = A^T diag(sigma''(A w)) A, with sigma'' = s (1 - s)(1 - 2 s)."""
    rng = np.random.default_rng(seed)
    A, w, v = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=n)
    (Hv,) = hvp(lambda w: (Tensor(A) @ w.reshape(n, 1)).sigmoid().sum(), [w], [v])
    s = 1.0 / (1.0 + np.exp(-(A @ w)))
    H = A.T @ np.diag(s * (1 - s) * (1 - 2 * s)) @ A
    np.testing.assert_allclose(Hv, H @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
def test_hvp_of_a_small_net_against_its_hessian_by_differences_of_the_gradient(hidden):
    """The full Hessian of a 3-4-2 net (26 parameters), column by column, from central differences of
    the gradient; every hvp of a basis vector and of a random vector matches it."""
    f, params = small_net(hidden)
    theta = np.concatenate([p.reshape(-1) for p in params])
    h = 1e-5
    H = np.empty((theta.size, theta.size))
    for k in range(theta.size):
        e = np.zeros(theta.size)
        e[k] = h
        H[:, k] = (flat_gradient(f, unflatten(theta + e, params)) - flat_gradient(f, unflatten(theta - e, params))) / (
            2 * h
        )
    rng = np.random.default_rng(3)
    for v in (rng.normal(size=theta.size), np.eye(theta.size)[7]):
        Hv = np.concatenate([a.reshape(-1) for a in hvp(f, params, unflatten(v, params))])
        np.testing.assert_allclose(Hv, H @ v, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-8)  # a Hessian is symmetric: the difference scheme is sound


def test_hvp_wants_a_scalar_and_matching_vectors():
    with pytest.raises(ValueError, match=r"hvp needs f to return a scalar of shape \(\); got shape \(2,\)"):
        hvp(lambda x: x * 2.0, [np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"vector\[0\] must have the shape of primals\[0\], \(2,\); got \(3,\)"):
        hvp(lambda x: x.sum(), [np.ones(2)], [np.ones(3)])
    with pytest.raises(ValueError, match="one array per primal: 1 primals, 2 vector"):
        hvp(lambda x: x.sum(), [np.ones(2)], [np.ones(2), np.ones(2)])


# --- jvp, vjp and grad on a network ---------------------------------------------------------------


def test_jvp_is_the_directional_derivative_and_matches_the_gradient():
    f, params = small_net("sigmoid", seed=4)
    rng = np.random.default_rng(5)
    vs = [rng.normal(size=p.shape) for p in params]
    value, tangent = jvp(f, params, vs)
    h = 1e-6
    up = f(*[Tensor(p + h * v) for p, v in zip(params, vs)]).data
    down = f(*[Tensor(p - h * v) for p, v in zip(params, vs)]).data
    assert float(tangent) == pytest.approx(float((up - down) / (2 * h)), rel=1e-6, abs=1e-9)
    g = flat_gradient(f, params)
    assert float(tangent) == pytest.approx(float(g @ np.concatenate([v.reshape(-1) for v in vs])), rel=1e-12)
    assert float(value) == pytest.approx(float(f(*[Tensor(p) for p in params]).data), rel=1e-15)


def test_grad_equals_network_gradients():
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    Y = bp.one_hot(y, 3)
    W1, b1, W2, b2 = net.parameters()

    def cost(W1, b1, W2, b2):
        return softmax_cross_entropy((Tensor(X) @ W1.T + b1).relu() @ W2.T + b2, Y)

    expected = [g for pair in net.gradients(X, Y) for g in pair]
    for k in range(4):
        np.testing.assert_allclose(grad(cost, argnum=k)(W1, b1, W2, b2), expected[k], rtol=1e-12, atol=1e-15)


def test_vjp_pullback_can_be_called_twice_and_checks_its_cotangent():
    _, pullback = vjp(lambda x: x * x, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(pullback(np.array([1.0, 0.0]))[0], [2.0, 0.0])
    np.testing.assert_array_equal(pullback(np.array([0.0, 1.0]))[0], [0.0, 4.0])
    with pytest.raises(ValueError, match=r"u must have the output's shape \(2,\); got shape \(\)"):
        pullback(1.0)


# --- checkpoint -------------------------------------------------------------------------------------


def _deep(checkpointed, depth=6, width=8, m=4, seed=0):
    rng = np.random.default_rng(seed)
    X = Tensor(rng.normal(size=(m, width)))
    Ws = [Tensor(rng.normal(size=(width, width)) / np.sqrt(width), requires_grad=True) for _ in range(depth)]

    def block(a, W):
        return (a @ W.T).tanh()

    a = X
    for W in Ws:
        a = checkpoint(block, a, W) if checkpointed else block(a, W)
    C = (a * a).mean()
    C.backward()
    return float(C.data), [W.grad for W in Ws]


def test_checkpoint_gives_the_gradients_of_plain_backward():
    plain_value, plain = _deep(False)
    ckpt_value, ckpt = _deep(True)
    assert ckpt_value == pytest.approx(plain_value, rel=1e-12)
    for a, b in zip(plain, ckpt):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_checkpoint_stores_no_intermediate_and_recomputes_once(monkeypatch):
    from backprop_derived.autodiff import ops

    calls = []
    plain = ops.MatMul.value
    monkeypatch.setattr(ops.MatMul, "value", lambda self, A, B: calls.append(1) or plain(self, A, B))
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    W = Tensor(np.full((3, 3), 0.1), requires_grad=True)
    out = checkpoint(lambda a, w: (a @ w).tanh(), x, W)
    assert out._op.inputs == (x, W)  # the graph holds the inputs only, not f's intermediates
    assert len(calls) == 1
    out.sum().backward()
    assert len(calls) == 1 + 1 + 2  # one recomputation, then the two products of the pullback


def test_checkpoint_gives_zero_gradient_to_an_input_f_ignores():
    x = Tensor(np.ones(3), requires_grad=True)
    ignored = Tensor(np.ones(3), requires_grad=True)
    checkpoint(lambda a, b: (a * 2.0).sum(), x, ignored).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])  # dC/dx = 2, written out
    np.testing.assert_array_equal(ignored.grad, np.zeros(3))  # an input of checkpoint with no path: zero


def test_hvp_through_checkpoint_equals_hvp_without():
    f, params = small_net("tanh", seed=6)
    rng = np.random.default_rng(7)
    vs = [rng.normal(size=p.shape) for p in params]
    X, Y = f.X, f.Y

    def with_checkpoint(W1, b1, W2, b2):
        hidden = checkpoint(lambda W, b: (Tensor(X) @ W.T + b).tanh(), W1, b1)
        return softmax_cross_entropy(hidden @ W2.T + b2, Y)

    plain, ckpt = hvp(f, params, vs), hvp(with_checkpoint, params, vs)
    for a, b in zip(plain, ckpt):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


# --- bad input: a test each ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, error, message",
    [
        (None, TypeError, "must be a number or an array of numbers; got None"),
        ("1.5", TypeError, "got the string '1.5'"),
        ([[1.0, 2.0], [3.0]], ValueError, "ragged sequence"),
        ([1 + 2j], TypeError, "real numbers .* got complex numbers"),
        (np.array([1.0, object()], dtype=object), TypeError, "real numbers .* got objects"),
        ([1.0, float("nan")], ValueError, "contains NaN or inf"),
        ([1.0, float("inf")], ValueError, "contains NaN or inf"),
    ],
)
def test_tensor_refuses_what_is_not_finite_real_numbers(data, error, message):
    with pytest.raises(error, match=message):
        Tensor(data)


def test_an_overflowing_exp_raises():
    with pytest.raises(ValueError, match=r"exp overflows float64 above 709\.78; got an entry of 710\.0"):
        Tensor([1.0, 710.0]).exp()


def test_softmax_cross_entropy_refuses_nan_and_inf_logits_and_targets():
    with pytest.raises(ValueError, match="contains NaN or inf"):
        softmax_cross_entropy(Tensor([[np.nan, 0.0]]), [[1.0, 0.0]])
    with pytest.raises(TypeError, match="logits must be a Tensor; got ndarray"):
        softmax_cross_entropy(np.array([[np.inf, 0.0]]), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="Y contains NaN or inf"):
        softmax_cross_entropy(Tensor([[1.0, 0.0]]), [[np.nan, 1.0]])


def test_huge_finite_logits_stay_finite():
    C = softmax_cross_entropy(Tensor([[1e300, -1e300]]), [[0.0, 1.0]])
    assert np.isfinite(C.data) and C.data == pytest.approx(2e300)


def test_the_mean_of_an_empty_tensor_raises():
    with pytest.raises(ValueError, match=r"mean over an empty axis: shape \(0, 3\)"):
        Tensor(np.zeros((0, 3))).mean()
    with pytest.raises(ValueError, match=r"max of an empty tensor"):
        Tensor(np.zeros((0,))).max()


def test_domain_errors_name_the_operation():
    with pytest.raises(ValueError, match="log needs positive entries"):
        Tensor([0.0, 1.0]).log()
    with pytest.raises(ValueError, match="sqrt needs positive entries"):
        Tensor([-1.0]).sqrt()
    with pytest.raises(ValueError, match="/ by a Tensor with 1 zero entries"):
        Tensor([1.0]) / Tensor([0.0])
    with pytest.raises(ValueError, match=r"\*\* 0.5 needs non-negative entries"):
        Tensor([-1.0]) ** 0.5
    with pytest.raises(ValueError, match=r"\* gave inf or NaN for finite inputs"):
        Tensor([1e200]) * Tensor([1e200])


def test_operators_refuse_what_they_cannot_mean():
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="exponent; got Tensor"):
        t**t
    with pytest.raises(TypeError, match=r"number \*\* Tensor is not an operation"):
        2.0**t
    with pytest.raises(TypeError, match="needs a Tensor on both sides; got float"):
        t @ 2.0
    with pytest.raises(TypeError, match="axis must be None, an int or a tuple of ints"):
        t.sum(axis=1.5)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        t.sum(axis=2)
    with pytest.raises(ValueError, match=r"reshape cannot turn shape \(2,\) into \(3,\)"):
        t.reshape(3)


# --- the graph drawing and the benchmark script ------------------------------------------------


def test_the_graph_drawing_names_a_tensor_with_two_consumers():
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    C = (a * a.exp()).sum()
    fig = bp.plots.draw_autodiff_graph(C, {id(a): "a"})
    assert fig.caption == (
        "3 recorded operations, 1 leaf that requires a gradient and 0 constants; "
        "tensors with more than one consumer: a."
    )
    assert "drawn top to bottom in 4 rows" in fig.alt_text
    with pytest.raises(TypeError, match=r"root must be a bp\.autodiff\.Tensor; got ndarray"):
        bp.plots.draw_autodiff_graph(np.ones(2))
    with pytest.raises(ValueError, match="root records no graph"):
        bp.plots.draw_autodiff_graph(Tensor([1.0]).sum())


def test_the_engine_benchmark_counts_and_agrees():
    from conftest import ROOT, load_module

    engine = load_module("engine_benchmark", ROOT / "benchmarks" / "engine.py")
    X, Y, net, params = engine.setup()
    C = engine.engine_gradients(X, Y, params)
    assert C.shape == () and C.op is not None  # the cost, its graph held by the caller
    ours = [p.grad for p in params]
    theirs = [g for pair in net.gradients(X, Y) for g in pair]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    counts = engine.count_multiply_adds(X, Y, params)
    F1, F2 = 1024 * 784 * 256, 1024 * 256 * 10
    assert counts == {"forward": F1 + F2, "backward": F1 + 2 * F2}


def test_the_committed_engine_benchmark_meets_the_bounds_and_fills_the_page():
    from conftest import DOCS, load_module

    hook = load_module("engine_benchmark_hook", DOCS / "hooks" / "engine_benchmark.py")
    bench = load_module("benchmark_page", DOCS / "hooks" / "benchmark_page.py")  # the fair-run rule's home
    results = hook.load()
    assert results["case"] == "1024 x 784-256-10"
    # Issue 26 asks for at most 1.3 times Network.gradients' time; the page says whether the committed
    # run is within it or not (1.29 on a quiet machine on 7 December 2026), the verdict the hook computes.
    assert results["time_ratio"] > 0 and bench.fair({"median": results["load_average"][0]}, results["cores"])
    assert results["multiply_add_ratio"] <= 1.05
    assert results["largest_gradient_difference"] < 1e-12
    page = (DOCS / "performance.md").read_text()
    filled = hook.fill(page, hook.values(results))
    assert "<!-- engine:" not in filled
    # The page prints the machine-independent count, not the one-run timing (review F4, finding 14).
    assert f"{results['multiply_add_ratio']:.2f} times the forward pass's" in filled
    assert "times as long" not in filled
    verdict = "within" if results["time_ratio"] <= 1.3 else "above"
    assert f"{results['time_ratio']:.2f} times `Network.gradients`'" in " ".join(filled.split())
    assert f"{verdict} the 1.3 times this engine aims at" in " ".join(filled.split())
    with pytest.raises(Exception, match="unknown engine value 'speed'"):
        hook.fill("<!-- engine:speed -->", hook.values(results))


def test_hvp_through_indexing_broadcasting_and_reductions_against_differences_of_grad():
    """The internal operations (ScatterAdd, BroadcastTo, SumTo) have JVPs that run only under hvp."""
    rng = np.random.default_rng(5)
    W, b, v_W, v_b = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=4)

    def f(W, b):
        rows = W[np.array([0, 2, 2, 1])] + b  # indexing with a repeat (ScatterAdd), a broadcast bias
        centred = rows - rows.mean(axis=1, keepdims=True)  # keepdims broadcasts back (BroadcastTo, SumTo)
        return (centred.sin() ** 2).sum() + rows.max(axis=0).sum() * 0.5

    HW, Hb = hvp(f, [W, b], [v_W, v_b])
    h = 1e-5
    plus = [grad(f, k)(W + h * v_W, b + h * v_b) for k in (0, 1)]
    minus = [grad(f, k)(W - h * v_W, b - h * v_b) for k in (0, 1)]
    np.testing.assert_allclose(HW, (plus[0] - minus[0]) / (2 * h), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(Hb, (plus[1] - minus[1]) / (2 * h), rtol=1e-6, atol=1e-9)
