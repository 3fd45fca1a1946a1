"""backprop_derived.diagnostics against independent computations: finite differences and explicit loops."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_derived as bp


@pytest.fixture
def iris():
    X, y = bp.load_iris()
    return bp.standardize(X), bp.one_hot(y, 3)


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
def test_gradient_norms_match_finite_differences(iris, hidden):
    X, Y = iris[0][::10], iris[1][::10]
    net = bp.Network([4, 6, 5, 3], hidden=hidden, seed=1)
    numeric = bp.numerical_gradients(net, X, Y)
    expected = [np.sqrt(sum(g * g for g in dW.ravel())) for dW, _ in numeric]  # a loop, not linalg.norm
    norms = bp.gradient_norms(net, X, Y)
    assert norms.shape == (net.L,)
    np.testing.assert_allclose(norms, expected, rtol=1e-6)


def test_gradient_norms_vanish_through_sigmoid_layers(iris):
    X, Y = iris
    sigmoid = bp.gradient_norms(bp.Network([4] + [10] * 10 + [3], hidden="sigmoid", seed=0), X, Y)
    relu = bp.gradient_norms(bp.Network([4] + [10] * 10 + [3], hidden="relu", seed=0), X, Y)
    assert sigmoid[0] < 1e-4 * sigmoid[-1]  # about 4 orders of magnitude lost
    assert relu.max() < 10 * relu.min()  # He initialisation keeps them level


def _dead_by_loop(net, X):
    """Dead units by an explicit loop over rows, using only each layer's W and b."""
    dead = []
    a = np.asarray(X, dtype=np.float64)
    for layer in net.layers[:-1]:
        i = layer.W.shape[0]
        alive = [False] * i
        rows = []
        for row in a:
            z = [sum(layer.W[k, j] * row[j] for j in range(len(row))) + layer.b[k] for k in range(i)]
            for k in range(i):
                alive[k] = alive[k] or z[k] > 0
            rows.append([max(v, 0.0) for v in z])
        dead.append(np.array([not v for v in alive]))
        a = np.array(rows)
    return dead


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_units_match_an_explicit_loop(seed):
    X, _ = bp.load_iris()  # raw inputs: all positive, so some units start dead
    net = bp.Network([4, 8, 6, 3], seed=seed)
    net.layer(1).b[:2] = -100.0  # two units that no flower can switch on
    dead = bp.dead_units(net, X)
    expected = _dead_by_loop(net, X)
    assert [d.shape for d in dead] == [(8,), (6,)]
    assert dead[0][:2].all()
    for got, want in zip(dead, expected):
        np.testing.assert_array_equal(got, want)


def test_a_dead_unit_gets_no_gradient_and_a_live_one_does(iris):
    X, Y = iris
    net = bp.Network([4, 8, 3], seed=0)
    net.layer(1).b[3] = -100.0
    dead = bp.dead_units(net, X)[0]
    assert dead[3] and not dead.all()
    numeric = bp.numerical_gradients(net, X[::5], Y[::5])
    dW1 = numeric[0][0]
    assert np.all(dW1[dead] == 0)
    assert np.all(np.abs(dW1[~dead]).sum(axis=1) > 0)


def test_sigmoid_units_are_never_dead(iris):
    net = bp.Network([4, 5, 5, 3], hidden="sigmoid", seed=0)
    assert [d.tolist() for d in bp.dead_units(net, iris[0])] == [[False] * 5, [False] * 5]
    assert bp.dead_units(bp.Network([4, 3], seed=0), iris[0]) == []


def test_bad_input_is_refused():
    net = bp.Network([4, 5, 3], seed=0)
    with pytest.raises(ValueError, match=r"X must have 4 columns"):
        bp.dead_units(net, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 3\); got shape \(2,\)"):
        bp.gradient_norms(net, np.ones((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"2-D batch"):
        bp.gradient_norms(net, np.ones(4), np.ones((1, 3)))


def test_decision_regions_count_hidden_points_and_errors():
    net = bp.Network([2, 3], seed=0)
    X2 = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])  # the first two coincide
    y = net.predict(X2)
    y[0] = (y[0] + 1) % 3  # exactly one point wrong
    alt = bp.plots.plot_decision_regions(net, X2, y).alt_text
    names = bp.plots.CLASS_NAMES
    assert "4 data points drawn on top at 3 distinct positions, so some hide others. 1 is misclassified" in alt
    assert f"1 {names[y[0]]} predicted as {names[net.predict(X2)[0]]}." in alt


def test_training_figures_describe_their_data():
    z = np.array([2.0, -1.0, 0.5])
    fig = bp.plots.plot_softmax_paths(z, {"one-hot": [0, 1, 0], "soft": [0.2, 0.3, 0.5]})
    assert "one-hot: 3 of 9 path terms non-zero, all in 1 of 3 rows" in fig.alt_text
    assert "soft: 9 of 9 path terms non-zero, all in 3 of 3 rows" in fig.alt_text
    norms = {"a": np.array([1e-6, 1e-3, 0.5])}
    assert "1.0e-06 at layer 1 and 5.0e-01 at layer 3" in bp.plots.plot_gradient_norms(norms).alt_text
    layouts = bp.plots.plot_gradient_layouts({"rows": np.ones((5, 4)), "cols": np.ones((4, 5))})
    assert "rows: 5 by 4; cols: 4 by 5" in layouts.alt_text
    assert "2 at layer 1 and 0.5 at layer 2" in bp.plots.plot_layer_variances({"x": [2.0, 0.5]}).alt_text
    with pytest.raises(ValueError, match=r"target 'bad' must have shape \(3,\); got \(2,\)"):
        bp.plots.plot_softmax_paths(z, {"bad": [0.5, 0.5]})
    with pytest.raises(ValueError, match="positive numbers"):
        bp.plots.plot_gradient_norms({"zero": [0.0, 1.0]})
    with pytest.raises(ValueError, match="must be a 2-D array"):
        bp.plots.plot_gradient_layouts({"vector": np.ones(3)})


@pytest.mark.parametrize("not_a_network", [None, [1, 2, 3], "net"])
@pytest.mark.parametrize("diagnostic", ["gradient_norms", "dead_units"])
def test_a_network_of_the_wrong_type_is_a_type_error(diagnostic, not_a_network):
    args = (np.ones((2, 4)), np.ones((2, 3)) / 3) if diagnostic == "gradient_norms" else (np.ones((2, 4)),)
    with pytest.raises(TypeError, match=rf"net must be a backprop_derived.Network; got {type(not_a_network).__name__}"):
        getattr(bp, diagnostic)(not_a_network, *args)


def _sigmoid_net_with_unit_at(z_value):
    """A sigmoid network whose first hidden unit has z = z_value on every row (zero weights, bias z_value)."""
    net = bp.Network([4, 3, 3], hidden="sigmoid", seed=0)
    net.layer(1).W[0] = 0.0
    net.layer(1).b[0] = z_value
    return net


def test_a_nearly_saturated_unit_is_alive(iris):
    # sigma'(20) = 2.1e-9: tiny, but a = sigma(20) has not rounded to 1, so gradient still flows
    net = _sigmoid_net_with_unit_at(20.0)
    net.forward(iris[0])
    assert np.all(net.layer(1).a[:, 0] < 1.0)
    assert not bp.dead_units(net, iris[0])[0][0]


def test_a_unit_whose_output_rounded_to_one_is_dead(iris):
    net = _sigmoid_net_with_unit_at(40.0)  # sigma(40) rounds to exactly 1.0 in float64
    assert bp.dead_units(net, iris[0])[0][0]


def test_a_sigmoid_unit_saturated_towards_zero_stays_alive(iris):
    # sigma(-40) = e^-40 / (1 + e^-40), about 4.2e-18, does not round to 0 in float64 (that needs
    # z below about -745, where the derivative underflows too), so a(1 - a) > 0 and the unit is
    # alive: the rounding that kills a unit at z = 40 has no mirror image on this side.
    assert 1.0 / (1.0 + np.exp(40.0)) > 4e-18 and 1.0 / (1.0 + np.exp(-40.0)) == 1.0
    assert not bp.dead_units(_sigmoid_net_with_unit_at(-40.0), iris[0])[0][0]
    assert bp.dead_units(_sigmoid_net_with_unit_at(40.0), iris[0])[0][0]


def test_the_derivative_is_taken_at_the_units_own_argument(iris):
    # z = 1 on every row: sigma'(1) = 0.197 > 0, alive. Evaluated at the wrong argument (the formula
    # a(1 - a) fed z instead of a = sigma(z)) it would be 1 * (1 - 1) = 0 and count the unit dead.
    net = _sigmoid_net_with_unit_at(1.0)
    assert not bp.dead_units(net, iris[0])[0][0]
    relu = bp.Network([4, 3, 3], seed=0)
    relu.layer(1).W[0], relu.layer(1).b[0] = 0.0, -1.0  # z = -1 < 0 everywhere: dead
    assert bp.dead_units(relu, iris[0])[0][0]


@pytest.mark.parametrize("diagnostic", ["gradient_norms", "dead_units"])
def test_a_diagnostic_leaves_the_last_passes_caches_alone(iris, diagnostic):
    X, Y = iris
    net = bp.Network([4, 5, 3], seed=0)
    net.forward(X[:10])
    before = [(layer.a_prev, layer.z, layer.a) for layer in net.layers]
    args = (X[50:], Y[50:]) if diagnostic == "gradient_norms" else (X[50:],)
    getattr(bp, diagnostic)(net, *args)
    for layer, (a_prev, z, a) in zip(net.layers, before):
        assert layer.a_prev is a_prev and layer.z is z and layer.a is a
    expected = bp.Network([4, 5, 3], seed=0).gradients(X[:10], Y[:10])
    for (dW, db), (eW, eb) in zip(net.backward(Y[:10]), expected):  # differentiates the first batch
        np.testing.assert_allclose(dW, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db, eb, rtol=1e-12, atol=1e-15)


def test_history_alt_text_names_the_test_cost():
    """plot_history's alt text describes the dashed test-cost curve it draws: ends, and its lowest if it rises."""
    from types import SimpleNamespace

    from backprop_derived.plots import plot_history

    h = SimpleNamespace(epochs=3, loss=[0.9, 0.6, 0.5], accuracy=[0.5, 0.7, 0.9])
    h.test_loss, h.test_accuracy = [0.8, 0.3, 0.4], [0.6, 0.8, 0.8]
    alt = plot_history(h, title="T").alt_text
    assert "from 0.80 to 0.400 on the test set, not monotonically, lowest 0.300 at epoch 2" in alt
    h.test_loss = [0.8, 0.5, 0.4]  # falling at every epoch: no lowest to report
    assert "from 0.80 to 0.400 on the test set. Right" in plot_history(h, title="T").alt_text
