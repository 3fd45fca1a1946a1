"""Every kind of bad input raises ValueError (TypeError for a wrong type) naming the argument,
what was expected and what arrived."""

import numpy as np
import pytest

import backprop_derived as bp


@pytest.fixture
def net():
    return bp.Network([4, 5, 3], seed=0)


@pytest.fixture
def data():
    return np.ones((4, 4)), bp.one_hot([0, 1, 2, 0], 3)


# --- the network's inputs ---------------------------------------------------------------------


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


def test_text_is_not_a_batch(net):
    with pytest.raises(TypeError, match="X must be an array of real numbers; got str"):
        net.forward("1, 2, 3, 4")


# --- constructing a network -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(sizes=[4]), ValueError, "at least 2 entries"),
        (dict(sizes=4), TypeError, r"sizes must be a list of layer sizes such as \[4, 5, 3\]; got 4"),
        (dict(sizes="453"), TypeError, "sizes must be a list"),
        (dict(sizes=[4, 0, 3]), ValueError, r"sizes\[1\] must be a positive integer; got 0"),
        (dict(sizes=[4, -5, 3]), ValueError, r"sizes\[1\] must be a positive integer; got -5"),
        (dict(sizes=[4, 2.5, 3]), TypeError, r"sizes\[1\] must be a positive integer; got 2.5 of type float"),
        (dict(sizes=[4, True, 3]), TypeError, r"sizes\[1\] must be a positive integer; got True of type bool"),
        (
            dict(sizes=[4, 5, 3], hidden=None),
            TypeError,
            "hidden must be an activation name or a list of names; got None",
        ),
        (dict(sizes=[4, 5, 3], hidden=[None]), TypeError, "hidden activation must be a name"),
        (
            dict(sizes=[4, 5, 3], hidden="gelu"),
            ValueError,
            "unknown hidden activation 'gelu'; expected one of 'relu', 'sigmoid', 'tanh', 'identity'",
        ),
        (dict(sizes=[4, 5, 3], hidden="softmax"), ValueError, "unknown hidden activation 'softmax'"),
        (
            dict(sizes=[4, 5, 3], output="relu"),
            ValueError,
            "unknown output activation 'relu'; expected one of 'sigmoid', 'identity', 'softmax'",
        ),
        (
            dict(sizes=[4, 5, 3], cost="hinge"),
            ValueError,
            "unknown cost 'hinge'; expected one of 'cross_entropy', 'binary_cross_entropy', 'squared_error'",
        ),
        (dict(sizes=[4, 5, 5, 3], hidden=["relu"]), ValueError, "1 activation names but sizes"),
        (dict(sizes=[4, 5, 3], seed="abc"), TypeError, "seed must be a non-negative integer .*; got 'abc' of type str"),
        (dict(sizes=[4, 5, 3], seed=1.5), TypeError, "seed must be a non-negative integer .*; got 1.5 of type float"),
        (dict(sizes=[4, 5, 3], seed=-1), ValueError, "seed must be a non-negative integer .*; got -1"),
    ],
)
def test_bad_construction(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        bp.Network(**kwargs)


VALID = (
    "valid pairings: 'cross_entropy' with 'softmax'; 'binary_cross_entropy' with 'sigmoid'; "
    "'squared_error' with any output"
)


@pytest.mark.parametrize(
    "output, cost",
    [
        ("sigmoid", "cross_entropy"),
        ("identity", "cross_entropy"),
        ("softmax", "binary_cross_entropy"),
        ("identity", "binary_cross_entropy"),
    ],
)
def test_cost_and_output_that_do_not_pair(output, cost):
    with pytest.raises(ValueError, match=f"cost '{cost}' is not valid with output '{output}'; {VALID}"):
        bp.Network([4, 5, 3], output=output, cost=cost)


def test_seed_none_is_documented_fresh_randomness():
    assert "None" in bp.Network.__doc__ and "different weights" in bp.Network.__doc__
    a, b = bp.Network([4, 5, 3], seed=None), bp.Network([4, 5, 3], seed=None)
    assert not np.array_equal(a.layer(1).W, b.layer(1).W)


def test_parameters_replaced_with_the_wrong_shape(net):
    net.layers[1].W = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"W must have shape \(3, 5\) \(neurons, inputs\); got \(5, 3\)"):
        net.forward(np.ones((1, 4)))


def test_layer_index(net):
    with pytest.raises(ValueError, match="between 1 and 2; got 0"):
        net.layer(0)
    with pytest.raises(TypeError, match=r"layer index must be an integer between 1 and 2; got 1.0"):
        net.layer(1.0)


# --- training ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(batch_size=0), ValueError, "batch_size must be a positive integer; got 0"),
        (dict(epochs=True), TypeError, "epochs must be a positive integer; got True of type bool"),
        (dict(epochs=2.0), TypeError, "epochs must be a positive integer; got 2.0 of type float"),
        (dict(learning_rate=float("nan")), ValueError, "learning_rate must be a positive finite number; got nan"),
        (dict(learning_rate=-0.1), ValueError, "learning_rate must be a positive finite number; got -0.1"),
        (dict(learning_rate="0.1"), TypeError, "learning_rate must be a positive finite number; got '0.1' of type str"),
        (dict(learning_rate=None), TypeError, "learning_rate must be a positive finite number; got None"),
        (dict(print_every=-1), ValueError, "print_every must be a non-negative integer; got -1"),
        (dict(seed="abc"), TypeError, "seed must be a non-negative integer"),
        (dict(test=(np.ones((1, 4)),)), ValueError, r"test must be a pair \(X_test, Y_test\); got a tuple of length 1"),
        (dict(test=np.ones((1, 4))), ValueError, r"test must be a pair \(X_test, Y_test\); got array"),
        (dict(test=(np.ones((1, 4)), np.ones((2, 3)))), ValueError, r"Y_test must have shape \(1, 3\)"),
        (dict(test=(np.ones((1, 5)), np.ones((1, 3)))), ValueError, r"X_test must have 4 columns"),
    ],
)
def test_training_arguments(net, data, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        bp.train(net, *data, **kwargs)


def test_training_a_non_network(data):
    with pytest.raises(TypeError, match=r"net must be a backprop_derived\.Network; got list"):
        bp.train([4, 5, 3], *data)


def test_training_stops_at_the_first_non_finite_loss():
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    history = bp.train(net, bp.standardize(X), bp.one_hot(y, 3), epochs=2, learning_rate=1e6)
    assert np.all(np.isfinite(history.loss))  # two epochs still finite, so the stop below is the first
    net = bp.Network([4, 5, 3], seed=0)
    pattern = r"loss became (nan|inf) at epoch 3 of 50 \(learning_rate=1000000.0\).*try a smaller learning_rate"
    with pytest.raises(ValueError, match=pattern):
        bp.train(net, bp.standardize(X), bp.one_hot(y, 3), epochs=50, learning_rate=1e6)


# --- data and metrics -------------------------------------------------------------------------


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels in 0..2; got \[5\]"):
        bp.one_hot([0, 5], 3)


@pytest.mark.parametrize(
    "y_true, y_pred, error, pattern",
    [
        ([-1, 0], [0, 0], ValueError, r"y_true must hold labels in 0..2; got \[-1\]"),
        ([0, 1], [0, 3], ValueError, r"y_pred must hold labels in 0..2; got \[3\]"),
        ([0.5, 1], [0, 1], ValueError, r"y_true must hold whole-number labels; got \[0.5\]"),
        ([], [], ValueError, "y_true is empty; expected at least one label"),
        (["a", "b"], [0, 1], TypeError, "y_true must hold integer labels; got dtype <U1"),
        ([0, 1, 2], [0, 1], ValueError, r"same shape \(m,\); got \(3,\) and \(2,\)"),
    ],
)
def test_confusion_matrix_labels(y_true, y_pred, error, pattern):
    with pytest.raises(error, match=pattern):
        bp.confusion_matrix(y_true, y_pred, 3)


def test_confusion_matrix_accepts_whole_floats():
    np.testing.assert_array_equal(bp.confusion_matrix([0.0, 2.0], [0, 1], 3), [[1, 0, 0], [0, 0, 0], [0, 1, 0]])


def test_confusion_matrix_n_classes():
    with pytest.raises(ValueError, match="n_classes must be a positive integer; got 0"):
        bp.confusion_matrix([0], [0], 0)


def test_accuracy_of_nothing():
    with pytest.raises(ValueError, match="y_true is empty; expected at least one label"):
        bp.accuracy([], [])
    with pytest.raises(ValueError, match=r"y_true must hold labels in 0..n_classes - 1; got \[-1\]"):
        bp.accuracy([-1], [0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_standardize_refuses_non_finite(bad):
    X = np.ones((3, 2))
    X[1, 1] = bad
    with pytest.raises(ValueError, match="X_train contains NaN or inf"):
        bp.standardize(X)
    with pytest.raises(ValueError, match=r"others\[0\] contains NaN or inf"):
        bp.standardize(np.ones((3, 2)), X)


def test_standardize_shapes():
    with pytest.raises(ValueError, match=r"others\[0\] must have shape \(m, 2\) like X_train; got \(3, 3\)"):
        bp.standardize(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"X_train must be a 2-D array .* got shape \(3,\)"):
        bp.standardize(np.ones(3))


@pytest.mark.parametrize(
    "fraction, side",
    [(0.99, "training"), (0.005, "test")],
)
def test_split_that_empties_a_side(fraction, side):
    X, y = bp.load_iris()
    with pytest.raises(
        ValueError, match=f"test_fraction={fraction} leaves class 0 \\(50 rows\\) with no row in the {side}"
    ):
        bp.train_test_split(X, y, test_fraction=fraction)


def test_split_arguments():
    X, y = bp.load_iris()
    with pytest.raises(ValueError, match=r"test_fraction must lie strictly between 0 and 1; got 1\.5"):
        bp.train_test_split(X, y, test_fraction=1.5)
    with pytest.raises(TypeError, match=r"test_fraction must be a number strictly between 0 and 1; got '0\.3'"):
        bp.train_test_split(X, y, test_fraction="0.3")
    with pytest.raises(ValueError, match=r"same m; got \(150, 4\) and \(149,\)"):
        bp.train_test_split(X, y[1:])


# --- derivatives and checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "h, error", [(0, ValueError), (-1e-6, ValueError), (float("nan"), ValueError), ("1e-6", TypeError)]
)
def test_numerical_jacobian_step(h, error):
    with pytest.raises(error, match="h must be a positive finite number"):
        bp.numerical_jacobian(np.sin, np.ones(2), h=h)


def test_numerical_gradients_step(net, data):
    with pytest.raises(ValueError, match="h must be a positive finite number; got 0"):
        bp.numerical_gradients(net, *data, h=0)


def test_relative_error_refuses_nan():
    with pytest.raises(ValueError, match="g contains NaN or inf"):
        bp.relative_error([np.nan, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="n contains NaN or inf"):
        bp.relative_error([1.0, 1.0], [1.0, np.inf])


# --- activations and costs called directly ----------------------------------------------------


def test_softmax_and_cross_entropy_take_lists_and_integer_arrays():
    sm, ce = bp.get_activation("softmax"), bp.get_cost("cross_entropy")
    a = sm.value([[0, 0]])
    np.testing.assert_allclose(a, [[0.5, 0.5]])
    np.testing.assert_allclose(sm.value(np.array([[1, 2, 3]])), sm.value(np.array([[1.0, 2.0, 3.0]])))
    assert ce.value([[1, 0]], [[1, 0]]) == 0.0
    assert ce.value(np.array([[0.5, 0.5]]), np.array([[1, 0]])) == pytest.approx(np.log(2))
    np.testing.assert_allclose(ce.gradient([[0.5, 0.5]], [[1, 0]]), [[-2.0, 0.0]])


def test_costs_refuse_mismatched_shapes_and_text():
    ce = bp.get_cost("cross_entropy")
    with pytest.raises(
        ValueError, match=r"A and Y must be arrays of the same shape \(m, n\) .*got \(1, 2\) and \(1, 3\)"
    ):
        ce.value([[0.5, 0.5]], [[1, 0, 0]])
    with pytest.raises(TypeError, match="A must be an array of real numbers"):
        ce.value("abc", [[1, 0]])
    with pytest.raises(TypeError, match="z must be an array of real numbers"):
        bp.get_activation("softmax").value([["a", "b"]])


def test_unknown_names_must_be_strings():
    with pytest.raises(TypeError, match="activation must be a name"):
        bp.get_activation(None)
    with pytest.raises(TypeError, match="cost must be a name"):
        bp.get_cost(3)


# --- figures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draw, error, pattern",
    [
        (lambda: bp.plots.plot_jacobian(np.ones(3), "t", "r", "c"), ValueError, r"J must be a 2-D array"),
        (lambda: bp.plots.plot_jacobian([[np.nan]], "t", "r", "c"), ValueError, r"J contains NaN or inf"),
        (lambda: bp.plots.plot_confusion(np.ones((2, 2))), ValueError, r"C must be a \(3, 3\) matrix of counts"),
        (lambda: bp.plots.plot_confusion([[0.5] * 3] * 3), ValueError, r"matrix of counts"),
        (lambda: bp.plots.plot_softmax_paths([1.0, np.inf], {}), ValueError, r"z contains NaN or inf"),
        (lambda: bp.plots.plot_softmax_paths([1.0, 2.0], {"y": [1.0]}), ValueError, r"target 'y' must have shape"),
        (lambda: bp.plots.plot_gradient_norms({"a": [1.0, np.nan]}), ValueError, r"series 'a' contains NaN"),
        (
            lambda: bp.plots.plot_decision_regions(bp.Network([2, 3], seed=0), np.ones((4, 3)), [0, 1, 2, 0]),
            ValueError,
            r"X2 must have 2 columns",
        ),
        (
            lambda: bp.plots.plot_decision_regions(bp.Network([2, 3], seed=0), np.ones((4, 2)), [0, 1, 5, 0]),
            ValueError,
            r"y must hold labels in 0\.\.2",
        ),
        (
            lambda: bp.plots.draw_paths(bp.Network([4, 5, 3], seed=0), np.ones(3)),
            ValueError,
            r"x must have 4 columns",
        ),
    ],
)
def test_figures_refuse_bad_input(draw, error, pattern):
    with pytest.raises(error, match=pattern):
        draw()


def test_softmax_cross_entropy_refuses_targets_that_do_not_sum_to_one(net):
    # (a_L - y) / m is the gradient only when every target row sums to 1; a row summing to 1.5 is refused.
    X = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"each row of Y must sum to 1 .*row 1: 1.5"):
        net.gradients(X, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
    soft = [[0.2, 0.3, 0.5], [0.05, 0.05, 0.9]]  # soft targets are fine
    assert bp.gradient_check(net, X, soft) < bp.GRADIENT_CHECK_TOLERANCE
