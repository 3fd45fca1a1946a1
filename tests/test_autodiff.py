"""backprop_derived.autodiff against central differences and against Network.gradients."""

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, softmax_cross_entropy


def numeric_grad(f, x, h=1e-6):
    """Central differences of the scalar f at the array x, shape of x."""
    return bp.numerical_jacobian(f, x, h).reshape(np.shape(x))


def engine_grads(f, *arrays):
    """Build f on Tensors that require gradients, backpropagate, return the cost and each grad."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    C = f(*leaves)
    C.backward()
    return float(C.data), [t.grad for t in leaves]


def check(f_tensor, f_numpy, *arrays, rtol=1e-6, atol=1e-8):
    """The engine's value equals the NumPy value; each gradient equals central differences."""
    value, grads = engine_grads(f_tensor, *arrays)
    assert value == pytest.approx(f_numpy(*arrays), rel=1e-12, abs=1e-12)
    for k, (g, a) in enumerate(zip(grads, arrays)):

        def f_k(x, k=k):
            args = list(arrays)
            args[k] = x
            return f_numpy(*args)

        assert g.shape == np.shape(a)
        np.testing.assert_allclose(g, numeric_grad(f_k, a), rtol=rtol, atol=atol)


dims = st.integers(1, 4)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)  # the same examples in every CI run


def arrays(seed, *shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


# --- every operator against central differences -----------------------------------------------


@SETTINGS
@given(m=dims, k=dims, n=dims, seed=st.integers(0, 10_000))
def test_matmul_and_transpose(m, k, n, seed):
    A, B = arrays(seed, m, k), arrays(seed + 1, n, k)
    V = arrays(seed + 2, m, n)  # a weighting, so the cost depends on every entry differently
    check(lambda a, b: ((a @ b.T) * Tensor(V)).sum(), lambda a, b: np.sum((a @ b.T) * V), A, B)


@SETTINGS
@given(m=dims, n=dims, seed=st.integers(0, 10_000), op=st.sampled_from(["+", "-", "*"]))
def test_elementwise_arithmetic_same_shape(m, n, seed, op):
    A, B, V = arrays(seed, m, n), arrays(seed + 1, m, n), arrays(seed + 2, m, n)
    ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
    f = ops[op]
    check(lambda a, b: (f(a, b) * Tensor(V)).sum(), lambda a, b: np.sum(f(a, b) * V), A, B)


@SETTINGS
@given(m=dims, n=dims, seed=st.integers(0, 10_000), c=st.floats(-3, 3))
def test_plain_numbers_on_either_side(m, n, seed, c):
    A, V = arrays(seed, m, n), arrays(seed + 1, m, n)
    forms = [
        (lambda a: ((a + c) * Tensor(V)).sum(), lambda a: np.sum((a + c) * V)),
        (lambda a: ((c + a) * Tensor(V)).sum(), lambda a: np.sum((c + a) * V)),
        (lambda a: ((a - c) * Tensor(V)).sum(), lambda a: np.sum((a - c) * V)),
        (lambda a: ((c - a) * Tensor(V)).sum(), lambda a: np.sum((c - a) * V)),
        (lambda a: ((a * c) * Tensor(V)).sum(), lambda a: np.sum((a * c) * V)),
        (lambda a: ((c * a) * Tensor(V)).sum(), lambda a: np.sum((c * a) * V)),
        (lambda a: (-a * Tensor(V)).sum(), lambda a: np.sum(-a * V)),
    ]
    for f_tensor, f_numpy in forms:
        check(f_tensor, f_numpy, A)


@SETTINGS
@given(
    m=dims,
    n=dims,
    seed=st.integers(0, 10_000),
    name=st.sampled_from(["relu", "sigmoid", "tanh", "exp", "log", "sum", "mean"]),
)
def test_unary_functions(m, n, seed, name):
    V = arrays(seed + 1, m, n)
    A = arrays(seed, m, n, low=0.1, high=3.0) if name == "log" else arrays(seed, m, n, low=-4.0, high=4.0)
    if name == "relu":
        A[np.abs(A) < 1e-3] = 0.5  # away from the kink, where central differences are exact
    numpy_of = {
        "relu": lambda a: np.maximum(a, 0),
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
        "tanh": np.tanh,
        "exp": np.exp,
        "log": np.log,
    }
    if name in ("sum", "mean"):
        scale = A.size if name == "mean" else 1
        check(lambda a: getattr(a * Tensor(V), name)(), lambda a: np.sum(a * V) / scale, A)
    else:
        check(lambda a: (getattr(a, name)() * Tensor(V)).sum(), lambda a: np.sum(numpy_of[name](a) * V), A)


@SETTINGS
@given(m=dims, n=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_softmax_cross_entropy(m, n, seed):
    Z = arrays(seed, m, n, low=-5, high=5)
    Y = bp.one_hot(np.random.default_rng(seed).integers(0, n, m), n)

    def cost(z):
        shifted = z - z.max(axis=1, keepdims=True)
        return -np.sum(Y * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))) / m

    check(lambda z: softmax_cross_entropy(z, Y), cost, Z)
    _, (g,) = engine_grads(lambda z: softmax_cross_entropy(z, Y), Z)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)  # softmax - Y sums to 1 - 1 per row


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    z = Tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    C = softmax_cross_entropy(z, [[0.0, 1.0, 0.0]])
    C.backward()
    assert C.data == pytest.approx(2000.0)
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0]], atol=1e-12)


# --- bias broadcasting ------------------------------------------------------------------------


@SETTINGS
@given(m=dims, n=dims, seed=st.integers(0, 10_000))
def test_bias_broadcast_over_rows_sums_its_gradient(m, n, seed):
    Z, b, V = arrays(seed, m, n), arrays(seed + 1, n), arrays(seed + 2, m, n)
    check(lambda z, b: ((z + b) * Tensor(V)).sum(), lambda z, b: np.sum((z + b) * V), Z, b)
    check(lambda z, b: ((b + z) * Tensor(V)).sum(), lambda z, b: np.sum((b + z) * V), Z, b)
    check(lambda z, b: ((z * b) * Tensor(V)).sum(), lambda z, b: np.sum((z * b) * V), Z, b)
    _, (_, g_b) = engine_grads(lambda z, b: ((z + b) * Tensor(V)).sum(), Z, b)
    assert g_b.shape == (n,)
    np.testing.assert_allclose(g_b, V.sum(axis=0), atol=1e-14)  # one path per row, added up


# --- whole networks against Network.gradients -------------------------------------------------


def network_cost(net, X, Y):
    """The network's forward pass and cost, written with the engine; returns (cost, parameter leaves)."""
    params = [Tensor(p, requires_grad=True) for p in net.parameters()]
    a = Tensor(X)
    for l, layer in enumerate(net.layers):
        z = a @ params[2 * l].T + params[2 * l + 1]
        if l == net.L - 1:
            return softmax_cross_entropy(z, Y), params
        a = getattr(z, layer.activation.name)() if layer.activation.name != "identity" else z
    raise AssertionError("unreachable")


def assert_same_gradients(net, X, Y):
    C, params = network_cost(net, X, Y)
    C.backward()
    assert float(C.data) == pytest.approx(net.cost(X, Y), rel=1e-12)
    expected = [g for pair in net.gradients(X, Y) for g in pair]
    for p, g in zip(params, expected):
        np.testing.assert_allclose(p.grad, g, rtol=0, atol=1e-10)


def test_the_4_5_3_network_on_iris_matches_network_gradients():
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    assert_same_gradients(net, X, bp.one_hot(y, 3))
    assert_same_gradients(net, X[100:101], bp.one_hot(y[100:101], 3))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=3, max_size=6),
    m=st.integers(1, 8),
    hidden=st.sampled_from(["relu", "sigmoid", "tanh", "identity"]),
    seed=st.integers(0, 10_000),
)
def test_random_deeper_networks_match_network_gradients(sizes, m, hidden, seed):
    sizes[-1] = max(sizes[-1], 2)
    rng = np.random.default_rng(seed)
    net = bp.Network(sizes, hidden=hidden, seed=seed)
    for layer in net.layers:
        layer.b = rng.normal(0, 0.5, size=layer.b.shape)
    X = rng.normal(size=(m, sizes[0]))
    assert_same_gradients(net, X, bp.one_hot(rng.integers(0, sizes[-1], m), sizes[-1]))


def test_engine_gradients_pass_the_gradient_check():
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    Y = bp.one_hot(y[::10], 3)
    C, params = network_cost(net, X[::10], Y)
    C.backward()
    grads = [(params[0].grad, params[1].grad), (params[2].grad, params[3].grad)]
    assert bp.gradient_check(net, X[::10], Y, grads=grads) < bp.GRADIENT_CHECK_TOLERANCE


# --- accumulation: several consumers, repeated calls, zero_grad -------------------------------


def test_a_node_with_several_consumers_receives_the_sum_of_their_contributions():
    x = Tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    h = x.tanh()  # h feeds three consumers
    C = (h * 3.0).sum() + (h * h).sum() + h.exp().sum()
    C.backward()
    a = np.tanh(x.data)
    np.testing.assert_allclose(h.grad, 3.0 + 2 * a + np.exp(a), atol=1e-14)
    numeric = numeric_grad(lambda v: np.sum(3 * np.tanh(v) + np.tanh(v) ** 2 + np.exp(np.tanh(v))), x.data)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-7)
    single = 3.0 * (1 - a**2)  # one consumer's path only: wrong
    assert np.max(np.abs(single - numeric)) > 0.1


def test_same_tensor_on_both_sides():
    x = Tensor([[1.5, -2.0]], requires_grad=True)
    (x * x).sum().backward()  # two paths from x into the product
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_leaves_accumulate_over_calls_until_zero_grad():
    w = Tensor([[2.0, -1.0]], requires_grad=True)
    C = (w * w).sum()
    C.backward()
    C.backward()
    np.testing.assert_allclose(w.grad, 2 * (2 * w.data))  # leaves add up over calls, like PyTorch
    C.zero_grad()
    assert w.grad is None
    C.backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)


def test_deep_chain_has_no_recursion_limit():
    x = Tensor([[0.3]], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [[1.0]])


def test_constants_get_no_gradient():
    w = Tensor([[1.0, 2.0]], requires_grad=True)
    c = Tensor([[3.0, 4.0]])
    (w * c).sum().backward()
    assert c.grad is None and not c.requires_grad
    np.testing.assert_allclose(w.grad, c.data)


def test_module_docstring_example():
    assert doctest.testmod(bp.autodiff).failed == 0


# --- bad input --------------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(m, k\) and \(k, n\); got \(2, 3\) and \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="got \\(3,\\) and \\(3, 2\\)"):
        Tensor(np.ones(3)) @ Tensor(np.ones((3, 2)))


def test_no_silent_broadcasting():
    with pytest.raises(ValueError, match=r"a vector \(n,\) with \(\.\.\., n\).*got \(2, 3\) and \(2,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(2))
    with pytest.raises(ValueError, match="got \\(2, 3\\) and \\(3, 1\\)"):
        Tensor(np.ones((2, 3))) * Tensor(np.ones((3, 1)))


def test_backward_on_a_non_scalar():
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    message = r"scalar of shape \(\); this tensor has shape \(2, 2\).*\.sum\(\) or \.mean\(\)"
    with pytest.raises(ValueError, match=message):
        (t * 2.0).backward()


def test_backward_with_nothing_to_differentiate():
    with pytest.raises(ValueError, match="requires_grad=True"):
        Tensor(np.ones(2)).sum().backward()


def test_wrong_types():
    t = Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"Tensor or a plain number.*ndarray"):
        t + np.ones((2, 2))
    with pytest.raises(TypeError, match=r"Tensor or a plain number.*ndarray"):
        np.ones((2, 2)) * t
    with pytest.raises(TypeError, match="needs a Tensor on both sides"):
        t @ np.ones((2, 2))
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Tensor([1.0], requires_grad=1)
    with pytest.raises(TypeError, match="already a Tensor"):
        Tensor(t)


def test_log_of_non_positive_and_bad_targets():
    with pytest.raises(ValueError, match="log needs positive entries"):
        Tensor([1.0, 0.0]).log()
    z = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 3\); got shape \(2,\)"):
        softmax_cross_entropy(z, [0, 1])
    with pytest.raises(ValueError, match="each row of Y must sum to 1"):
        softmax_cross_entropy(z, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"logits must have shape \(m, n\)"):
        softmax_cross_entropy(Tensor(np.zeros(3)), np.eye(3)[:1])


def test_reusing_an_operation_instance_is_refused():
    """A second application would silently rewrite the first one's graph (sin(a) + sin(b) gave cos 2 twice)."""
    from backprop_derived.autodiff import ops

    sin = ops.Sin()
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    sin(a)
    with pytest.raises(RuntimeError, match="already applied once"):
        sin(b)
    C = ops.Sin()(a) + ops.Sin()(b)  # one instance per application: the right gradients
    C.backward()
    assert a.grad == pytest.approx(np.cos(1.0), rel=1e-15) and b.grad == pytest.approx(np.cos(2.0), rel=1e-15)


def test_non_finite_tangents_are_refused_and_x_to_the_zero_has_derivative_zero():
    from backprop_derived.autodiff import jvp

    _, tangent = jvp(lambda x: x**0.0, [[0.0, 3.0]], [[1.0, 1.0]])
    np.testing.assert_array_equal(tangent, [0.0, 0.0])  # x ** 0 = 1 for every x, also at 0
    x = Tensor([[0.0, 3.0]], requires_grad=True)
    (x**0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"\*\* 0.5 has no derivative at 0"):
        jvp(lambda x: x**0.5, [[0.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"\*\* 0.5 has no derivative at 0"):
        (Tensor([[0.0]], requires_grad=True) ** 0.5).sum().backward()
    # The framework's own check, for an operation whose JVP gives inf: log at a tiny x with a huge tangent.
    with pytest.raises(ValueError, match="inf or NaN tangent"):
        jvp(lambda x: x.log(), [[1e-300]], [[1e300]])


def test_op_names_the_recorded_operation_and_its_inputs():
    a, b = Tensor([[1.0, 2.0]], requires_grad=True), Tensor([[3.0], [4.0]])
    c = a @ b
    assert a.op is None and c.op.name == "@" and c.op.inputs == (a, b)


def test_a_leaf_gradient_shares_no_memory_with_another_tensors_gradient():
    # Add's VJP passes its cotangent on as it is, so without a copy W.grad would be y.grad itself.
    W = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = W + 1.0
    (y * y).sum().backward()
    np.testing.assert_array_equal(W.grad, 2 * (W.data + 1.0))  # d/dW of sum((W + 1)^2)
    assert not np.shares_memory(W.grad, y.grad)
    W.grad *= 0  # an optimiser's in-place update
    np.testing.assert_array_equal(y.grad, 2 * (W.data + 1.0))
    T = Tensor(np.ones((2, 3)), requires_grad=True)
    V = T.T  # a view's VJP returns a view
    (V * 3.0).sum().backward()
    assert T.grad.base is None and not np.shares_memory(T.grad, V.grad)
