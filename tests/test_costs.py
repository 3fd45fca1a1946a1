import numpy as np
import pytest

import backprop as bp


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
