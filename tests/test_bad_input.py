"""Every kind of bad input raises ValueError naming what was expected and what arrived."""

import numpy as np
import pytest

import backprop as bp


@pytest.fixture
def net():
    return bp.Network([4, 5, 3], seed=0)


def test_wrong_number_of_columns(net):
    with pytest.raises(ValueError, match=r"X must have 4 columns, shape \(m, 4\); got shape \(2, 3\)"):
        net.forward(np.ones((2, 3)))


def test_one_dimensional_input_says_batch(net):
    with pytest.raises(ValueError, match=r"2-D batch of shape \(m, 4\).*1-D array of shape \(4,\).*reshape\(1, -1\)"):
        net.forward(np.ones(4))


def test_targets_of_the_wrong_shape(net):
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 3\); got shape \(2, 2\)"):
        net.cost(np.ones((2, 4)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"got shape \(2,\).*one_hot"):
        net.gradients(np.ones((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 3\); got shape \(3, 3\)"):
        net.gradients(np.ones((2, 4)), np.ones((3, 3)))  # no broadcasting of a mismatched batch


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(net, bad):
    X = np.ones((2, 4))
    X[1, 2] = bad
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.forward(X)
    Y = np.zeros((2, 3))
    Y[0, 0] = bad
    with pytest.raises(ValueError, match="Y contains NaN or inf"):
        net.cost(np.ones((2, 4)), Y)


def test_empty_batch(net):
    with pytest.raises(ValueError, match="empty batch"):
        net.forward(np.ones((0, 4)))


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels in 0..2; got \[5\]"):
        bp.one_hot([0, 5], 3)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(sizes=[4]), "at least 2 entries"),
        (dict(sizes=[4, 0, 3]), "positive integer"),
        (dict(sizes=[4, -5, 3]), "positive integer"),
        (dict(sizes=[4, 2.5, 3]), "positive integer"),
        (dict(sizes=[4, 5, 3], hidden="gelu"), "unknown hidden activation 'gelu'; expected one of 'relu', 'sigmoid', 'tanh', 'identity'"),
        (dict(sizes=[4, 5, 3], hidden="softmax"), "unknown hidden activation 'softmax'"),
        (dict(sizes=[4, 5, 3], output="relu"), "unknown output activation 'relu'; expected one of 'softmax', 'sigmoid', 'identity'"),
        (dict(sizes=[4, 5, 3], cost="hinge"), "unknown cost 'hinge'; expected one of 'cross_entropy', 'squared_error'"),
        (dict(sizes=[4, 5, 5, 3], hidden=["relu"]), "1 activation names but sizes"),
        (dict(sizes=[4, 3], output="identity", cost="cross_entropy"), "needs probabilities"),
    ],
)
def test_bad_construction(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        bp.Network(**kwargs)


def test_parameters_replaced_with_the_wrong_shape(net):
    net.layers[1].W = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"W must have shape \(3, 5\) \(neurons, inputs\); got \(5, 3\)"):
        net.forward(np.ones((1, 4)))


def test_training_arguments(net):
    X, Y = np.ones((4, 4)), bp.one_hot([0, 1, 2, 0], 3)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        bp.train(net, X, Y, batch_size=0)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        bp.train(net, X, Y, learning_rate=float("nan"))
    with pytest.raises(ValueError, match=r"Y_test must have shape \(1, 3\)"):
        bp.train(net, X, Y, validation=(np.ones((1, 4)), np.ones((2, 3))))


def test_layer_index(net):
    with pytest.raises(ValueError, match="between 1 and 2; got 0"):
        net.layer(0)
