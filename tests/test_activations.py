import numpy as np
import pytest

import backprop as bp
from backprop.activations import ACTIVATIONS


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity", "softmax"])
def test_jacobian_matches_central_differences(name, rng):
    act = bp.get_activation(name)
    z = rng.normal(size=(1, 5))
    z[np.abs(z) < 0.05] += 0.2  # keep ReLU away from its kink
    J = act.jacobian(act.value(z))[0]
    J_num = bp.numerical_jacobian(lambda v: act.value(v.reshape(1, -1)), z[0])
    assert J.shape == (5, 5)
    np.testing.assert_allclose(J, J_num, atol=1e-8)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity"])
def test_elementwise_jacobian_is_diagonal_with_derivative_from_a(name, rng):
    act = bp.get_activation(name)
    a = act.value(rng.normal(size=(4, 3)))
    J = act.jacobian(a)
    for r in range(4):
        np.testing.assert_array_equal(J[r], np.diag(act.derivative(a)[r]))


def test_derivatives_from_the_activation_itself():
    a = np.array([[0.2, 0.5, 0.9]])
    np.testing.assert_allclose(bp.get_activation("sigmoid").derivative(a), a * (1 - a))
    np.testing.assert_allclose(bp.get_activation("tanh").derivative(a), 1 - a**2)
    np.testing.assert_array_equal(bp.get_activation("relu").derivative(np.array([[0.0, 2.0]])), [[0.0, 1.0]])


def test_softmax_jacobian_is_diag_minus_outer_and_full(rng):
    sm = bp.get_activation("softmax")
    a = sm.value(rng.normal(size=(2, 3)))
    J = sm.jacobian(a)
    for r in range(2):
        np.testing.assert_allclose(J[r], np.diag(a[r]) - np.outer(a[r], a[r]))
        assert np.all(J[r][~np.eye(3, dtype=bool)] != 0)  # every off-diagonal entry is non-zero


def test_softmax_backward_equals_jacobian_product(rng):
    sm = bp.get_activation("softmax")
    a = sm.value(rng.normal(size=(6, 3)))
    g = rng.normal(size=(6, 3))
    expected = np.einsum("rk,rkc->rc", g, sm.jacobian(a))
    np.testing.assert_allclose(sm.backward(g, a), expected, atol=1e-15)


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
        bp.get_activation("softmax").derivative(np.ones((1, 3)) / 3)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'gelu'.*'relu'.*'softmax'"):
        bp.get_activation("gelu")
    assert set(ACTIVATIONS) == {"relu", "sigmoid", "tanh", "identity", "softmax"}
