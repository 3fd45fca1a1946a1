import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.activations import ACTIVATIONS


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity", "softmax"])
def test_jacobian_matches_central_differences(name, rng):
    act = bp.get_activation(name)
    z = rng.normal(size=(1, 5))
    z[np.abs(z) < 0.05] += 0.2  # keep ReLU away from its kink
    J = act.jacobian(z)[0]
    np.testing.assert_array_equal(act.jacobian(z, act.value(z))[0], J)  # a given or computed: the same
    J_num = bp.numerical_jacobian(lambda v: act.value(v.reshape(1, -1)), z[0])
    assert J.shape == (5, 5)
    np.testing.assert_allclose(J, J_num, atol=1e-8)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity"])
def test_elementwise_jacobian_is_diagonal_with_the_derivative(name, rng):
    act = bp.get_activation(name)
    z = rng.normal(size=(4, 3))
    J = act.jacobian(z, act.value(z))
    for r in range(4):
        np.testing.assert_array_equal(J[r], np.diag(act.derivative(z, act.value(z))[r]))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity"])
def test_first_and_second_derivatives_against_central_differences(name):
    """sigma' and sigma'' from (z, a) against central differences of the value alone."""
    act, h = bp.get_activation(name), 1e-5
    z = np.array([[-3.1, -0.7, 0.4, 1.3, 2.6]])  # away from ReLU's kink
    d1 = (act.value(z + h) - act.value(z - h)) / (2 * h)
    d2 = (act.value(z + h) - 2 * act.value(z) + act.value(z - h)) / h**2
    np.testing.assert_allclose(act.derivative(z, act.value(z)), d1, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        act.second_derivative(z), d2, atol=1e-5
    )  # tolerance: h**2 truncation and 1e-16/h**2 rounding


def test_softmax_jacobian_is_diag_minus_outer_and_full(rng):
    sm = bp.get_activation("softmax")
    a = sm.value(rng.normal(size=(2, 3)))
    J = sm.jacobian(np.log(a), a)
    for r in range(2):
        np.testing.assert_allclose(J[r], np.diag(a[r]) - np.outer(a[r], a[r]))
        assert np.all(J[r][~np.eye(3, dtype=bool)] != 0)  # every off-diagonal entry is non-zero


def test_softmax_backward_equals_jacobian_product(rng):
    sm = bp.get_activation("softmax")
    a = sm.value(rng.normal(size=(6, 3)))
    g = rng.normal(size=(6, 3))
    expected = np.einsum("rk,rkc->rc", g, sm.jacobian(np.log(a)))
    np.testing.assert_allclose(sm.backward(g, np.log(a), a), expected, atol=1e-15)


def test_softmax_is_stable_for_huge_logits():
    sm = bp.get_activation("softmax")
    z = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1001.0, -1000.5]])
    a = sm.value(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert np.all(np.isfinite(sm.log_value(z)))


def test_sigmoid_is_stable_for_huge_inputs():
    a = bp.get_activation("sigmoid").value(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_array_equal(a, [[0.0, 0.5, 1.0]])


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="not element-wise"):
        bp.get_activation("softmax").derivative(np.zeros((1, 3)))


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'.*'relu'.*'softmax'"):
        bp.get_activation("gelu")
    assert set(ACTIVATIONS) == {"relu", "sigmoid", "tanh", "identity", "softmax"}


def test_relu_derivative_at_zero_exactly_is_zero():
    relu = bp.get_activation("relu")
    z = np.array([[0.0, -0.0, 1e-300]])
    np.testing.assert_array_equal(relu.derivative(z, relu.value(z)), [[0.0, 0.0, 1.0]])
    # Reached in a network: biases start at 0, so an all-zero input gives z_1 = 0 exactly and the
    # hidden layer passes no gradient back (the convention the pages state).
    net = bp.Network([2, 3, 2], hidden="relu", seed=0)
    (_, db1), (_, db2) = net.gradients(np.zeros((1, 2)), [[1.0, 0.0]])
    np.testing.assert_array_equal(net.layer(1).z, 0.0)
    np.testing.assert_array_equal(net.layer(1).delta, 0.0)
    np.testing.assert_array_equal(db1, 0.0)
    assert np.any(db2 != 0)  # the output layer still learns


@pytest.mark.parametrize("hidden, gain", [("relu", 2.0), ("tanh", 1.0), ("sigmoid", 1.0)])
def test_initial_weights_have_variance_gain_over_fan_in(hidden, gain):
    fan_in = 2000
    net = bp.Network([fan_in, 500, 10], hidden=hidden, seed=0)
    W1, W2 = net.layer(1).W, net.layer(2).W
    assert bp.get_activation(hidden).init_gain == gain
    # 10^6 draws: the sample variance is within 1% of the true one with overwhelming probability.
    assert np.var(W1) == pytest.approx(gain / fan_in, rel=0.01)
    assert abs(np.mean(W1)) < 5 * np.sqrt(gain / fan_in / W1.size)
    assert np.var(W2) == pytest.approx(1.0 / 500, rel=0.1)  # softmax output: gain 1, fan-in 500
    np.testing.assert_array_equal(net.layer(1).b, 0.0)
    np.testing.assert_array_equal(net.layer(2).b, 0.0)


def test_roles_and_default_costs_belong_to_the_activations():
    assert {n for n, a in ACTIVATIONS.items() if "hidden" in a.roles} == {"relu", "sigmoid", "tanh", "identity"}
    assert {n for n, a in ACTIVATIONS.items() if "output" in a.roles} == {"softmax", "sigmoid", "identity"}
    defaults = {n: ACTIVATIONS[n].default_cost for n in ("softmax", "sigmoid", "identity")}
    assert defaults == {"softmax": "cross_entropy", "sigmoid": "squared_error", "identity": "squared_error"}
    assert bp.Network([2, 2], output="sigmoid").cost_function.name == "squared_error"


# --- the recipe of CONTRIBUTING.md, "Adding an activation", followed once ----------------------


class LeakyReLU(bp.Activation):
    """``a = z`` for ``z > 0`` and ``0.01 z`` otherwise."""

    name = "leaky_relu"
    init_gain = 2.0 / (1.0 + 0.01**2)  # He's gain for a leaky slope of 0.01
    roles = frozenset({"hidden"})

    def _value(self, z):
        return np.where(z > 0, z, 0.01 * z)

    def _derivative(self, z, a):
        return np.where(z > 0, 1.0, 0.01)


@pytest.fixture
def leaky_relu():
    act = bp.register_activation(LeakyReLU())
    try:
        yield act
    finally:
        bp.unregister_activation(act.name)


def test_recipe_adds_a_leaky_relu_in_one_place(leaky_relu):
    z = np.array([[-2.0, 0.5, 3.0]])
    J_num = bp.numerical_jacobian(lambda v: leaky_relu.value(v.reshape(1, -1)), z[0])
    np.testing.assert_allclose(leaky_relu.jacobian(z)[0], J_num, atol=1e-8)

    X, y = bp.load_iris()
    X = bp.standardize(X)
    net = bp.Network([4, 5, 3], hidden="leaky_relu", seed=0)
    assert net.layer(1).activation is leaky_relu
    assert np.var(bp.Network([1000, 400, 3], hidden="leaky_relu").layer(1).W) == pytest.approx(2 / 1000, rel=0.02)
    net.forward(X[::10])
    assert np.min(np.abs(net.layer(1).z)) > 1e-3  # away from the kink
    assert bp.gradient_check(net, X[::10], bp.one_hot(y[::10], 3)) <= bp.GRADIENT_CHECK_TOLERANCE
    history = bp.train(net, X, bp.one_hot(y, 3), epochs=30, seed=0)
    assert history.loss[-1] < 0.5 * history.loss[0]
    with pytest.raises(ValueError, match="unknown output activation 'leaky_relu'"):
        bp.Network([4, 5, 3], output="leaky_relu")


def test_registering_twice_or_a_non_activation():
    with pytest.raises(ValueError, match="'relu' is already registered"):
        bp.register_activation(bp.get_activation("relu"))
    with pytest.raises(TypeError, match="activation must be an Activation instance"):
        bp.register_activation("relu")


# --- an activation whose derivative needs z, by the same recipe ----------------------------------


class SiLU(bp.Activation):
    """``a = z sigma(z)``; its derivative ``sigma(z) (1 + z (1 - sigma(z)))`` is not a function of ``a``."""

    name = "silu_test"

    def _value(self, z):
        return z / (1.0 + np.exp(-z))

    def _derivative(self, z, a):
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 + z * (1.0 - s))


@pytest.fixture
def silu():
    act = bp.register_activation(SiLU())
    try:
        yield act
    finally:
        bp.unregister_activation(act.name)


def test_an_activation_whose_derivative_needs_z(silu):
    z = np.array([[-2.5, -0.3, 0.0, 0.8, 3.1]])
    J_num = bp.numerical_jacobian(lambda v: silu.value(v.reshape(1, -1)), z[0])
    np.testing.assert_allclose(silu.jacobian(z)[0], J_num, atol=1e-8)
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], hidden="silu_test", seed=0)
    assert bp.gradient_check(net, bp.standardize(X)[::10], bp.one_hot(y[::10], 3)) <= bp.GRADIENT_CHECK_TOLERANCE
    t = bp.autodiff.Tensor(z, requires_grad=True)
    t.activation("silu_test").sum().backward()
    np.testing.assert_allclose(t.grad, np.diag(J_num)[None, :], rtol=1e-6, atol=1e-9)


def test_unregister_leaves_the_registry_as_it_was():
    before = dict(ACTIVATIONS)
    act = bp.register_activation(SiLU())
    assert bp.unregister_activation("silu_test") is act
    assert before == ACTIVATIONS
    with pytest.raises(ValueError, match="unknown activation 'silu_test'"):
        bp.unregister_activation("silu_test")
