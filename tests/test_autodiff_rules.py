"""Every operation's JVP and VJP: against central differences, and against each other (adjoint identity).

For each operation ``f`` with inputs ``x_i``, tangents ``v_i`` and an output cotangent ``u``:

* forward mode: ``jvp(f, x, v)`` equals ``sum_i J_i v_i`` with ``J_i`` from central differences;
* reverse mode: the pullback's ``u^T J_i`` equals the same central-difference ``J_i`` transposed;
* adjoint identity: ``<u, J v> = sum_i <J_i^T u, v_i>``, which ties a JVP rule to its VJP rule: it
  catches a rule whose JVP and VJP disagree (a transposed VJP, one of the two mis-scaled) without
  any finite difference, but not an error both share (the activations take both from one
  ``derivative``): the central differences above catch those.

The layers (conv2d, the two poolings, batch and layer norm, attention, rnn) and the internal
operations (BroadcastTo, SumTo, ScatterAdd, Checkpoint) run the same three checks at fixed shapes,
in ``LAYERS`` below.

Shapes are drawn by hypothesis, a bounded number of examples (derandomised, so every run is the same).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_derived as bp
from backprop_derived.autodiff import (
    Tensor,
    attention,
    avg_pool2d,
    batch_norm,
    checkpoint,
    conv2d,
    jvp,
    layer_norm,
    max_pool2d,
    ops,
    rnn,
    softmax_cross_entropy,
    vjp,
)
from backprop_derived.autodiff.core import Operation

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True)


def _away_from_kink(x):
    return np.where(np.abs(x) < 0.1, x + 0.3, x)


def _positive(x):
    return np.abs(x) + 0.5


def _onehot(m, n):
    return np.eye(n)[np.arange(m) % n]


# name -> (function of Tensors, input shapes from (m, n), domain transform of each input)
OPERATIONS = {
    "matmul": (lambda a, b: a @ b, lambda m, n: [(m, n), (n, m + 1)], None),
    "transpose": (lambda a: a.T, lambda m, n: [(m, n)], None),
    "add": (lambda a, b: a + b, lambda m, n: [(m, n), (m, n)], None),
    "add a bias (n,)": (lambda a, b: a + b, lambda m, n: [(m, n), (n,)], None),
    "add a scalar tensor": (lambda a, b: b + a, lambda m, n: [(m, n), ()], None),
    "sub keepdims (m, 1)": (lambda a, b: a - b, lambda m, n: [(m, n), (m, 1)], None),
    "unary minus": (lambda a: -a, lambda m, n: [(m, n)], None),
    "mul": (lambda a, b: a * b, lambda m, n: [(m, n), (m, n)], None),
    "mul a bias (n,)": (lambda a, b: b * a, lambda m, n: [(m, n), (n,)], None),
    "div": (lambda a, b: a / b, lambda m, n: [(m, n), (m, n)], [None, _positive]),
    "number / tensor": (lambda a: 3.0 / a, lambda m, n: [(m, n)], [_positive]),
    "number - tensor": (lambda a: 2.0 - a, lambda m, n: [(m, n)], None),
    "number * tensor": (lambda a: 2.5 * a, lambda m, n: [(m, n)], None),
    "tensor + number": (lambda a: a + 1.5, lambda m, n: [(m, n)], None),
    "tensor / number": (lambda a: a / 4.0, lambda m, n: [(m, n)], None),
    "pow 3": (lambda a: a**3, lambda m, n: [(m, n)], None),
    "pow 0.5": (lambda a: a**0.5, lambda m, n: [(m, n)], [_positive]),
    "pow -2": (lambda a: a**-2, lambda m, n: [(m, n)], [_positive]),
    "sum": (lambda a: a.sum(), lambda m, n: [(m, n)], None),
    "sum axis 0": (lambda a: a.sum(axis=0), lambda m, n: [(m, n)], None),
    "sum axis 1 keepdims": (lambda a: a.sum(axis=1, keepdims=True), lambda m, n: [(m, n)], None),
    "mean": (lambda a: a.mean(), lambda m, n: [(m, n)], None),
    "mean axis 0 keepdims": (lambda a: a.mean(axis=0, keepdims=True), lambda m, n: [(m, n)], None),
    "max axis 1": (lambda a: a.max(axis=1), lambda m, n: [(m, n)], None),
    "max": (lambda a: a.max(), lambda m, n: [(m, n)], None),
    "reshape": (lambda a: a.reshape(-1), lambda m, n: [(m, n)], None),
    "reshape 3-D": (lambda a: a.reshape(1, n_of(a), m_of(a)), lambda m, n: [(m, n)], None),
    "slice": (lambda a: a[1:, ::2], lambda m, n: [(m + 1, n)], None),
    "integer array": (lambda a: a[[0, 0, -1]], lambda m, n: [(m, n)], None),
    "one entry": (lambda a: a[0, -1], lambda m, n: [(m, n)], None),
    "exp": (lambda a: a.exp(), lambda m, n: [(m, n)], None),
    "sin": (lambda a: a.sin(), lambda m, n: [(m, n)], None),
    "cos": (lambda a: a.cos(), lambda m, n: [(m, n)], None),
    "log": (lambda a: a.log(), lambda m, n: [(m, n)], [_positive]),
    "sqrt": (lambda a: a.sqrt(), lambda m, n: [(m, n)], [_positive]),
    "relu": (lambda a: a.relu(), lambda m, n: [(m, n)], [_away_from_kink]),
    "sigmoid": (lambda a: a.sigmoid(), lambda m, n: [(m, n)], None),
    "tanh": (lambda a: a.tanh(), lambda m, n: [(m, n)], None),
    "identity (registered)": (lambda a: a.activation("identity"), lambda m, n: [(m, n)], None),
    "softmax": (lambda a: a.softmax(), lambda m, n: [(m, n)], None),
    "softmax axis 0": (lambda a: a.softmax(axis=0), lambda m, n: [(m, n)], None),
    "log_softmax": (lambda a: a.log_softmax(), lambda m, n: [(m, n)], None),
    "softmax_cross_entropy": (
        lambda a: softmax_cross_entropy(a, _onehot(*a.shape)),
        lambda m, n: [(m, n)],
        None,
    ),
}


def m_of(a):
    return a.shape[0]


def n_of(a):
    return a.shape[1]


def _draw(shapes, domains, rng, bound):
    """Inputs uniform on (-bound, bound), moved into each one's domain, and a normal tangent for each."""
    xs = [rng.uniform(-bound, bound, size=s) for s in shapes]
    if domains:
        xs = [d(x) if d else x for d, x in zip(domains, xs)]
    vs = [rng.normal(size=x.shape) for x in xs]
    return xs, vs


def _inputs(name, m, n, seed):
    _, shapes, domains = OPERATIONS[name]
    rng = np.random.default_rng(seed)
    xs, vs = _draw(shapes(m, n), domains, rng, 2)
    return xs, vs, rng


def _numerical(f, xs, k):
    """Central-difference Jacobian of f with respect to input k, shape (out.size, xs[k].size)."""

    def of_k(x):
        args = [Tensor(a) for a in xs]
        args[k] = Tensor(x)
        return f(*args).data

    return bp.numerical_jacobian(of_k, xs[k])


def _check_rules(f, xs, vs, u_rng):
    """The three checks of the module docstring for f at inputs xs and tangents vs."""
    value, tangent = jvp(f, xs, vs)
    value_r, pullback = vjp(f, *xs)
    np.testing.assert_array_equal(value, value_r)
    u = u_rng.normal(size=value.shape)
    cotangents = pullback(u)

    jacobians = [_numerical(f, xs, k) for k in range(len(xs))]
    expected_tangent = sum(J @ v.reshape(-1) for J, v in zip(jacobians, vs))
    np.testing.assert_allclose(tangent.reshape(-1), expected_tangent, rtol=1e-6, atol=1e-9)
    for J, ct, x in zip(jacobians, cotangents, xs):
        assert ct.shape == x.shape
        np.testing.assert_allclose(ct.reshape(-1), u.reshape(-1) @ J, rtol=1e-6, atol=1e-9)

    # The adjoint identity <u, J v> = sum_i <J_i^T u, v_i>: the two rules are each other's transposes.
    lhs = float(np.sum(u * tangent))
    rhs = float(sum(np.sum(ct * v) for ct, v in zip(cotangents, vs)))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@SETTINGS
@given(m=st.integers(1, 4), n=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_jvp_and_vjp_against_central_differences_and_each_other(name, m, n, seed):
    f = OPERATIONS[name][0]
    if name in {"max axis 1", "max"}:
        n = max(n, 2)
    xs, vs, rng = _inputs(name, m, n, seed)
    _check_rules(f, xs, vs, rng)


def _distinct(x):
    """Spread the entries apart so that no pooling window has a tie (max's derivative is defined)."""
    return x + 0.5 * np.arange(x.size).reshape(x.shape)


# name -> (function of Tensors, input shapes, domain transform of each input): fixed small shapes
LAYERS = {
    "conv2d stride 1 padding 1": (lambda X, K, b: conv2d(X, K, b, padding=1), [(2, 2, 4, 4), (3, 2, 3, 3), (3,)], None),
    "conv2d stride 2": (lambda X, K: conv2d(X, K, stride=2), [(1, 2, 5, 5), (2, 2, 3, 3)], None),
    "max_pool2d": (lambda X: max_pool2d(X, 2), [(2, 2, 4, 4)], [_distinct]),
    "avg_pool2d stride 1": (lambda X: avg_pool2d(X, 2, stride=1), [(2, 2, 3, 3)], None),
    "batch_norm": (lambda X, g, b: batch_norm(X, g, b), [(4, 3), (3,), (3,)], None),
    "layer_norm": (lambda X, g, b: layer_norm(X, g, b), [(4, 3), (3,), (3,)], None),
    "attention": (lambda Q, K, V: attention(Q, K, V), [(2, 3, 2), (2, 4, 2), (2, 4, 3)], None),
    "attention masked": (
        lambda Q, K, V: attention(Q, K, V, mask=np.tril(np.ones((3, 3), dtype=bool))),
        [(3, 2), (3, 2), (3, 2)],
        None,
    ),
    "rnn tanh": (lambda X, h0, Wx, Wh, b: rnn(X, h0, Wx, Wh, b), [(2, 3, 2), (2, 3), (3, 2), (3, 3), (3,)], None),
    "BroadcastTo": (lambda a: ops.BroadcastTo((3, 2, 4))(a), [(2, 1)], None),
    "SumTo": (lambda a: ops.SumTo((2, 1))(a), [(3, 2, 4)], None),
    "ScatterAdd": (lambda a: ops.ScatterAdd(([0, 2, 0], [1, 1, 1]), (3, 2))(a), [(3,)], None),
    "checkpoint": (lambda a, w: checkpoint(lambda p, q: (p @ q).tanh(), a, w), [(3, 2), (2, 4)], None),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_and_internal_operations_jvp_and_vjp_against_central_differences_and_each_other(name):
    f, shapes, domains = LAYERS[name]
    rng = np.random.default_rng(7)
    xs, vs = _draw(shapes, domains, rng, 1)
    _check_rules(f, xs, vs, rng)


def test_the_two_tables_run_every_operation_class(monkeypatch):
    """OPERATIONS and LAYERS between them construct every concrete Operation subclass of the package."""
    seen, call = set(), Operation.__call__

    def recording(self, *inputs):
        seen.add(type(self))
        return call(self, *inputs)

    monkeypatch.setattr(Operation, "__call__", recording)
    rng = np.random.default_rng(0)
    cases = [(f, shapes(2, 3), domains) for f, shapes, domains in OPERATIONS.values()] + list(LAYERS.values())
    for f, shapes, domains in cases:
        xs, _ = _draw(shapes, domains, rng, 1)
        f(*[Tensor(x) for x in xs])

    def below(cls):
        return {k for sub in cls.__subclasses__() for k in {sub} | below(sub)}

    ours = {c for c in below(Operation) if c.__module__.startswith("backprop_derived")}
    concrete = {c for c in ours if not set(c.__subclasses__()) & ours}  # abstract bases left out
    assert {c.__qualname__ for c in concrete - seen} == set()


def test_the_adjoint_identity_catches_a_transposed_rule(monkeypatch):
    """A planted fault: matmul's VJP for B written as g^T A instead of A^T g fails the identity."""
    from backprop_derived.autodiff import ops

    def wrong(self, g, i):
        A, B = self.inputs
        return g @ B.T if i == 0 else g.T @ A  # the right one is A^T g

    monkeypatch.setattr(ops.MatMul, "vjp", wrong)
    rng = np.random.default_rng(0)
    A, B, v, w, u = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), *rng.normal(size=(3, 3, 3))
    _, tangent = jvp(lambda a, b: a @ b, [A, B], [v, w])
    _, pullback = vjp(lambda a, b: a @ b, A, B)
    ca, cb = pullback(u)
    assert abs(np.sum(u * tangent) - np.sum(ca * v) - np.sum(cb * w)) > 1e-3


# --- seed cotangent ------------------------------------------------------------------------------


def test_backward_with_a_seed_is_the_vjp_of_a_non_scalar_output():
    rng = np.random.default_rng(1)
    Z, u = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    z = Tensor(Z, requires_grad=True)
    z.softmax().backward(u)
    J = bp.numerical_jacobian(lambda v: bp.get_activation("softmax").value(v), Z)  # (12, 12)
    np.testing.assert_allclose(z.grad.reshape(-1), u.reshape(-1) @ J, rtol=1e-6, atol=1e-9)


def test_backward_seed_shape_is_checked():
    z = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"grad must have this tensor's shape \(2, 3\); got shape \(3, 2\)"):
        (z * 2.0).backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"without grad needs a scalar of shape \(\); this tensor has shape \(2, 3\)"):
        (z * 2.0).backward()


def test_a_1_by_1_tensor_is_not_a_scalar():
    z = Tensor([[2.0]], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(\); this tensor has shape \(1, 1\)"):
        (z * z).backward()
    (z * z).backward(np.ones((1, 1)))  # with its seed it is fine
    assert z.grad[0, 0] == 4.0


# --- only the work asked for -----------------------------------------------------------------


def count_multiply_adds(monkeypatch):
    """Count the matrix products' multiply-adds, by phase; returns the dict the wrapper fills."""
    from backprop_derived.autodiff import ops

    counts = {"phase": "forward", "forward": 0, "backward": 0}
    plain = ops.MatMul.value

    def counted(self, A, B):
        counts[counts["phase"]] += A.shape[0] * A.shape[1] * B.shape[1]
        return plain(self, A, B)

    monkeypatch.setattr(ops.MatMul, "value", counted)
    return counts


def test_no_vjp_for_the_constant_input_on_784_256_10(monkeypatch):
    """The backward pass does 2 - F1/F times the forward multiply-adds: no product for dC/dX."""
    counts = count_multiply_adds(monkeypatch)
    rng = np.random.default_rng(0)
    m = 4
    X = Tensor(rng.normal(size=(m, 784)))  # a constant: requires no gradient
    W1, b1 = Tensor(rng.normal(size=(256, 784)) * 0.05, requires_grad=True), Tensor(np.zeros(256), requires_grad=True)
    W2, b2 = Tensor(rng.normal(size=(10, 256)) * 0.05, requires_grad=True), Tensor(np.zeros(10), requires_grad=True)
    C = softmax_cross_entropy((X @ W1.T + b1).relu() @ W2.T + b2, _onehot(m, 10))
    counts["phase"] = "backward"
    C.backward()
    F1, F2 = m * 784 * 256, m * 256 * 10
    assert counts["forward"] == F1 + F2
    # written out: dW1 = delta1^T X (F1), dW2 = delta2^T a1 (F2), delta1 through W2 (F2); nothing for X
    assert counts["backward"] == F1 + 2 * F2
    ratio = counts["backward"] / counts["forward"]
    assert ratio == pytest.approx(2 - F1 / (F1 + F2), rel=1e-12)
    assert ratio <= 1.05
    print(f"backward/forward multiply-adds: {ratio:.4f}")


def test_a_vjp_is_not_even_called_for_an_input_without_grad(monkeypatch):
    from backprop_derived.autodiff import ops

    seen = []
    plain = ops.Mul.vjp
    monkeypatch.setattr(ops.Mul, "vjp", lambda self, g, i: seen.append(i) or plain(self, g, i))
    w = Tensor([1.0, 2.0], requires_grad=True)
    (Tensor([3.0, 4.0]) * w).sum().backward()
    assert seen == [1]
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


# --- safe mutation ------------------------------------------------------------------------------


def test_changing_a_saved_leaf_before_backward_raises_naming_the_operation_and_input():
    W = Tensor([[1.0, 2.0]], requires_grad=True)
    C = (W * W).sum()
    W.data -= 0.5
    with pytest.raises(RuntimeError, match=r"input 0 of \* \(a Tensor of shape \(1, 2\)\) was modified"):
        C.backward()


def test_changing_an_intermediate_a_relu_reads_raises():
    z = Tensor([[1.0, -2.0]], requires_grad=True) * 1.0
    C = z.relu().sum()
    z.data *= -1
    with pytest.raises(RuntimeError, match="input 0 of relu"):
        C.backward()


def test_changing_a_leaf_whose_transpose_was_saved_raises():
    # W.T is a view of W (no copy): the in-place update reaches the saved view, and the shared
    # version counter is what catches it. Without it the gradient of x would use the new W.
    x, W = Tensor([[1.0, 2.0]], requires_grad=True), Tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    C = (x @ W.T).sum()
    W.data -= 1.0
    with pytest.raises(RuntimeError, match=r"input 1 of @ \(a Tensor of shape \(2, 2\)\) was modified"):
        C.backward()


def test_a_view_changed_in_place_is_caught_through_its_base():
    W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    V = W.T
    C = (W * W).sum()
    V.data *= 2.0  # changes W's entries too (a view), and W's counter with them
    with pytest.raises(RuntimeError, match=r"input 0 of \*"):
        C.backward()


def test_a_tensor_copies_its_data_unless_told_not_to():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    copied, shared = Tensor(X), Tensor(X, copy=False)
    X[0, 0] = 10.0
    assert copied.data[0, 0] == 1.0 and shared.data[0, 0] == 10.0
    listed = Tensor([[1, 2]], copy=False)  # integers are converted: a new float64 array
    assert listed.data.dtype == np.float64
    with pytest.raises(TypeError, match="copy must be True or False; got 'no'"):
        Tensor(X, copy="no")
    with pytest.raises(ValueError, match="data contains NaN or inf"):
        Tensor(np.array([np.nan]), copy=False)


def test_the_usual_update_after_backward_works_and_the_next_step_is_right():
    W = Tensor([[1.0, 2.0]], requires_grad=True)
    (W * W).sum().backward()
    np.testing.assert_array_equal(W.grad, [[2.0, 4.0]])
    W.data -= 0.25 * W.grad  # [0.5, 1.0]
    W.zero_grad()
    (W * W).sum().backward()
    np.testing.assert_array_equal(W.grad, [[1.0, 2.0]])


def test_changing_an_input_whose_value_no_rule_reads_is_harmless():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    C = (a + b).sum()
    a.data += 1.0
    C.backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])


def test_data_keeps_its_shape_and_stays_finite():
    with pytest.raises(ValueError, match=r"data must keep its shape \(2,\); got shape \(3,\)"):
        Tensor([1.0, 2.0]).data = np.zeros(3)
    W = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="data contains NaN or inf after the assignment"):
        W.data -= np.array([np.inf, 0.0])


# --- the engine calls the registered activations --------------------------------------------------


class Softplus(bp.Activation):
    name = "softplus_test"

    def _value(self, z):
        return np.logaddexp(0.0, z)

    def _derivative(self, z, a):  # needs z: sigma(z), not a function of a alone in closed form here
        return 0.5 * (1.0 + np.tanh(0.5 * z))


@pytest.fixture
def softplus():
    act = bp.register_activation(Softplus())
    try:
        yield act
    finally:
        bp.unregister_activation(act.name)


def test_a_registered_activation_works_in_the_engine(softplus):
    Z = np.array([[-1.5, 0.2, 3.0]])
    z = Tensor(Z, requires_grad=True)
    bp.autodiff.activation(z, "softplus_test").sum().backward()
    np.testing.assert_allclose(z.grad, bp.numerical_jacobian(lambda v: np.logaddexp(0, v).sum(), Z).reshape(Z.shape))
    _, tangent = jvp(lambda t: t.activation("softplus_test"), [Z], [np.ones_like(Z)])
    np.testing.assert_allclose(tangent, z.grad, rtol=1e-15)


def test_hvp_through_an_activation_without_second_derivative_names_it(softplus):
    with pytest.raises(NotImplementedError, match="hvp through the activation 'softplus_test'"):
        bp.autodiff.hvp(lambda t: t.activation("softplus_test").sum(), [np.ones(3)], [np.ones(3)])


class _Square(bp.autodiff.Operation):
    """x * x with its VJP in NumPy, as the core docstring allows; ``tangent_rule`` adds the tangent."""

    name = "square_test"

    def __init__(self, tangent_rule=False, wrap=True):
        self.tangent_rule, self.wrap = tangent_rule, wrap

    def value(self, x):
        return x * x

    def jvp(self, dx):
        return 2 * self.input_data[0] * dx

    def vjp(self, g, i):
        (x,) = self.inputs
        if not self.wrap:
            return 2 * g.data * x.data  # a plain array: not a Tensor
        out = bp.autodiff.constant(2 * g.data * x.data)
        if self.tangent_rule and x.tangent is not None:  # d(2 g x) = 2 dg x + 2 g dx (dg is 0 here)
            out.tangent = 2 * g.data * x.tangent
        return out


def test_hvp_through_an_operation_with_a_numpy_vjp_names_it_instead_of_giving_zeros():
    x, v = np.array([1.5, -2.0]), np.array([1.0, 0.5])
    with pytest.raises(NotImplementedError, match="hvp through square_test"):
        bp.autodiff.hvp(lambda t: _Square()(t).sum(), [x], [v])
    (hv,) = bp.autodiff.hvp(lambda t: _Square(tangent_rule=True)(t).sum(), [x], [v])
    np.testing.assert_array_equal(hv, 2 * v)  # the Hessian of sum(x^2) is 2I, written out
    t = Tensor(x, requires_grad=True)
    _Square()(t).sum().backward()  # reverse mode alone is unaffected
    np.testing.assert_array_equal(t.grad, 2 * x)


def test_a_vjp_that_returns_no_tensor_is_refused_naming_the_operation():
    t = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"the VJP of square_test must return a Tensor .* got ndarray for input 0"):
        _Square(wrap=False)(t).sum().backward()


def test_engine_relu_derivative_at_the_kink_is_zero():
    z = Tensor([[0.0, -0.0, 1e-300, -1e-300]], requires_grad=True)
    z.relu().sum().backward()
    np.testing.assert_array_equal(z.grad, [[0.0, 0.0, 1.0, 0.0]])
    _, tangent = jvp(lambda t: t.relu(), [z.data], [np.ones((1, 4))])
    np.testing.assert_array_equal(tangent, [[0.0, 0.0, 1.0, 0.0]])
