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


def test_the_kink_margin_covers_one_hidden_layer_only():
    """Every |z| above h * max(1, max|a_prev|), yet a first-layer nudge crosses a second-layer kink."""
    X, y = bp.load_iris()
    x, Y = X[100:101], bp.one_hot(y[100:101], 3)  # raw: its largest input is 6.3
    net = bp.Network([4, 2, 2, 3], seed=0)  # two ReLU hidden layers
    h = 1e-5
    first, second = net.layer(1), net.layer(2)
    first.b[:] = np.array([0.8, 0.5]) - x[0] @ first.W.T  # z_1 = (0.8, 0.5): a_1 below 1
    second.W[:] = [[10.0, -2.0], [1.0, 1.0]]  # a large weight from unit 1 of layer 1
    second.b[:] = np.array([3 * h, 1.0]) - np.array([0.8, 0.5]) @ second.W.T  # z_2 = (3h, 1)
    _ = net.forward(x)
    for layer in (first, second):
        assert np.abs(layer.z).min() > h * max(1.0, np.abs(layer.a_prev).max())  # the one-layer rule: "safe"
    # nudging W_1[0, j] by h moves z_2[0] by 10 h x_j, up to 63 h: across its kink, 3 h away
    assert bp.gradient_check(net, x, Y, h=h) > 1e-3
    assert 10 * np.abs(x).max() * 1e-7 < second.z[0, 0]  # at h = 1e-7 every nudge stays on its side, and it passes
    assert bp.gradient_check(net, x, Y, h=1e-7) < bp.GRADIENT_CHECK_TOLERANCE


@pytest.mark.parametrize("standardised", [True, False])
def test_central_difference_round_off_is_of_order_eps_C_over_h(standardised):
    """The size the docstrings give: |analytic - numeric| of order eps |C| / h at h = 1e-6."""
    X, y = bp.load_iris()
    X = bp.standardize(X) if standardised else X
    for r in (0, 50, 100, 106):
        x, Y = X[r : r + 1], bp.one_hot(y[r : r + 1], 3)
        net = bp.Network([4, 5, 3], seed=0)
        _ = net.forward(x)
        assert min(np.abs(layer.z).min() for layer in net.layers) > 1e-3  # no nudge near a kink
        floor = np.finfo(float).eps * net.cost(x, Y) / 1e-6
        numeric = bp.numerical_gradients(net, x, Y, h=1e-6)
        error = max(np.abs(a - n).max() for pair, num in zip(net.gradients(x, Y), numeric) for a, n in zip(pair, num))
        assert error < 2 * floor  # measured: 0.5 to 0.75 of the floor
