import numpy as np
import pytest

import backprop_derived as bp


@pytest.fixture
def iris_batch():
    X, y = bp.load_iris()
    return X[::10], bp.one_hot(y[::10], 3)


def test_correct_gradients_pass(iris_batch):
    X, Y = iris_batch
    assert bp.gradient_check(bp.Network([4, 5, 3], seed=0), X, Y) < 1e-7


@pytest.mark.parametrize("layer, which", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_a_planted_error_is_caught(iris_batch, layer, which):
    X, Y = iris_batch
    net = bp.Network([4, 5, 3], seed=0)
    grads = [list(pair) for pair in net.gradients(X, Y)]
    wrong = grads[layer][which].copy()
    wrong.flat[0] += 0.5 * np.abs(wrong).max() + 1e-3  # one entry off
    grads[layer][which] = wrong
    assert bp.gradient_check(net, X, Y, grads=grads) > 1e-3


def test_a_transposed_gradient_is_caught(iris_batch):
    X, Y = iris_batch
    net = bp.Network([4, 4, 3], seed=0)
    (dW1, db1), (dW2, db2) = net.gradients(X, Y)
    assert bp.gradient_check(net, X, Y, grads=[(dW1.T, db1), (dW2, db2)]) > 1e-3


def test_the_single_path_mistake_is_caught(iris_batch):
    """A hidden delta that follows one output neuron only (the single-variable chain rule)."""
    X, Y = iris_batch
    net = bp.Network([4, 5, 3], seed=0)
    net.gradients(X, Y)
    hidden, out = net.layer(1), net.layer(2)
    one_path = (out.delta[:, :1] * out.W[:1, :]) * (hidden.z > 0)
    grads = [(one_path.T @ hidden.a_prev, one_path.sum(axis=0)), (out.delta.T @ out.a_prev, out.delta.sum(axis=0))]
    assert bp.gradient_check(net, X, Y, grads=grads) > 0.1


def test_relative_error_properties():
    assert bp.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert bp.relative_error(np.ones(3), np.zeros(3)) == 1.0
    assert bp.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        bp.relative_error(np.ones(2), np.ones(3))


def test_gradient_check_needs_one_pair_per_layer(iris_batch):
    X, Y = iris_batch
    net = bp.Network([4, 5, 3], seed=0)
    with pytest.raises(ValueError, match=r"one .* pair per layer"):
        bp.gradient_check(net, X, Y, grads=net.gradients(X, Y)[:1])
