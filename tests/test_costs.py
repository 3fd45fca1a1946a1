import numpy as np
import pytest

import backprop_derived as bp


def test_cross_entropy_formula(rng):
    A = bp.get_activation("softmax").value(rng.normal(size=(4, 3)))
    Y = bp.one_hot([0, 2, 1, 2], 3)
    expected = -np.mean([np.log(A[r, k]) for r, k in enumerate([0, 2, 1, 2])])
    assert bp.get_cost("cross_entropy").value(A, Y) == pytest.approx(expected, rel=1e-14)


def test_squared_error_formula(rng):
    A, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    expected = sum(0.5 * np.sum((A[r] - Y[r]) ** 2) for r in range(5)) / 5
    assert bp.get_cost("squared_error").value(A, Y) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("name", ["cross_entropy", "squared_error"])
def test_gradient_matches_central_differences(name, rng):
    cost = bp.get_cost(name)
    A = bp.get_activation("softmax").value(rng.normal(size=(3, 4)))
    Y = bp.one_hot([1, 0, 3], 4)
    G_num = bp.numerical_jacobian(lambda a: cost.value(a, Y), A).reshape(A.shape)
    np.testing.assert_allclose(cost.gradient(A, Y), G_num, rtol=1e-6, atol=1e-9)


def test_cross_entropy_of_zero_probability_is_finite():
    A = np.array([[0.0, 1.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0]])
    assert np.isfinite(bp.get_cost("cross_entropy").value(A, Y))
    assert np.all(np.isfinite(bp.get_cost("cross_entropy").gradient(A, Y)))


def test_unknown_cost_lists_valid_names():
    with pytest.raises(ValueError, match="'cross_entropy', 'binary_cross_entropy', 'squared_error'"):
        bp.get_cost("hinge")


def test_binary_cross_entropy_formula(rng):
    A = bp.get_activation("sigmoid").value(rng.normal(size=(4, 3)))
    Y = rng.integers(0, 2, size=(4, 3)).astype(float)
    expected = np.mean(
        [-sum(Y[r, k] * np.log(A[r, k]) + (1 - Y[r, k]) * np.log(1 - A[r, k]) for k in range(3)) for r in range(4)]
    )
    assert bp.get_cost("binary_cross_entropy").value(A, Y) == pytest.approx(expected, rel=1e-14)


def test_binary_cross_entropy_gradient_matches_central_differences(rng):
    cost = bp.get_cost("binary_cross_entropy")
    A = bp.get_activation("sigmoid").value(rng.normal(size=(3, 4)))
    Y = rng.uniform(size=(3, 4))
    G_num = bp.numerical_jacobian(lambda a: cost.value(a, Y), A).reshape(A.shape)
    np.testing.assert_allclose(cost.gradient(A, Y), G_num, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("output, cost", [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")])
def test_fused_path_from_the_logits(output, cost, rng):
    """The fused value equals the plain formula where both are finite, and delta_L = (a - y)/m equals
    dC/da (d a / d z) row by row."""
    act, c = bp.get_activation(output), bp.get_cost(cost)
    z = rng.normal(size=(5, 3))
    A = act.value(z)
    Y = bp.one_hot([0, 2, 1, 1, 0], 3) if output == "softmax" else rng.uniform(size=(5, 3))
    assert c.fused and c.value_from_logits(z, Y) == pytest.approx(c.value(A, Y), rel=1e-12)
    via_jacobian = np.einsum("rk,rkc->rc", c.gradient(A, Y), act.jacobian(z, A))
    np.testing.assert_allclose(c.output_delta(A, Y), via_jacobian, atol=1e-14)
    # and it is dC/dz by central differences in z:
    dC_dz = bp.numerical_jacobian(lambda v: c.value_from_logits(v, Y), z).reshape(z.shape)
    np.testing.assert_allclose(c.output_delta(A, Y), dC_dz, atol=1e-9)


def test_binary_cross_entropy_from_logits_is_finite_when_the_sigmoid_saturates():
    net = bp.Network([1, 2], hidden=[], output="sigmoid", cost="binary_cross_entropy", seed=0)
    net.layers[0].W = np.array([[800.0], [-800.0]])
    C = net.cost([[1.0]], [[0.0, 1.0]])  # both outputs are exactly wrong: a = 1.0 and 0.0 in float64
    assert pytest.approx(1600.0) == C


def test_sigmoid_with_binary_cross_entropy_learns_iris():
    X, y = bp.load_iris()
    X = bp.standardize(X)
    net = bp.Network([4, 5, 3], output="sigmoid", cost="binary_cross_entropy", seed=0)
    bp.train(net, X, bp.one_hot(y, 3), epochs=100, seed=0)
    assert bp.accuracy(y, net.predict(X)) > 0.9  # the categorical formula on sigmoids gave 0.667
