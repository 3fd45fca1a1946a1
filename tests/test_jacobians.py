import numpy as np
import pytest

import backprop_derived as bp


def test_numerical_jacobian_layout_rows_are_outputs():
    f = lambda v: np.array([v[0] * v[1], v[0] + 3 * v[1], v[1] ** 2])  # noqa: E731
    J = bp.numerical_jacobian(f, np.array([2.0, 5.0]))
    assert J.shape == (3, 2)
    np.testing.assert_allclose(J, [[5.0, 2.0], [1.0, 3.0], [0.0, 10.0]], atol=1e-8)


def test_numerical_jacobian_of_matrix_argument_is_row_major(rng):
    W = rng.normal(size=(3, 5))
    a = rng.normal(size=5)
    J = bp.numerical_jacobian(lambda M: a @ M.T, W)
    np.testing.assert_allclose(J, bp.jacobian_z_wrt_W(a, 3), atol=1e-9)


def test_dz_dW_block_structure(rng):
    a = rng.normal(size=(1, 5))
    J = bp.jacobian_z_wrt_W(a, 3)
    assert J.shape == (3, 15)
    for k in range(3):
        np.testing.assert_array_equal(J[k, 5 * k : 5 * k + 5], a[0])
        assert np.count_nonzero(J[k]) == 5


def test_dz_da_prev_is_W(rng):
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    a = rng.normal(size=5)
    J = bp.numerical_jacobian(lambda v: v @ W.T + b, a)
    np.testing.assert_allclose(bp.jacobian_z_wrt_a_prev(W), J, atol=1e-9)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax"])
def test_da_dz(name, rng):
    z = rng.normal(size=4) + 0.1
    act = bp.get_activation(name)
    J_num = bp.numerical_jacobian(lambda v: act.value(v[None, :])[0], z)
    np.testing.assert_allclose(bp.jacobian_a_wrt_z(name, z), J_num, atol=1e-8)
    np.testing.assert_allclose(bp.jacobian_a_wrt_z(name, z[None, :]), J_num, atol=1e-8)


def test_single_observation_inputs_are_checked():
    with pytest.raises(ValueError, match=r"one observation, shape \(n,\) or \(1, n\); got shape \(2, 5\)"):
        bp.jacobian_z_wrt_W(np.ones((2, 5)), 3)
    with pytest.raises(ValueError, match="positive integer"):
        bp.jacobian_z_wrt_W(np.ones(5), 0)
    with pytest.raises(ValueError, match="finite"):
        bp.numerical_jacobian(np.sin, np.array([np.nan]))


def test_numerical_jacobian_calls_f_twice_per_entry():
    # gradient_check's cost is 2P evaluations for P parameters, as the checking page says.
    calls = []

    def f(v):
        calls.append(1)
        return np.array([v.sum(), (v**2).sum()])

    J = bp.numerical_jacobian(f, np.array([1.0, 2.0, 3.0]))
    assert len(calls) == 6
    np.testing.assert_allclose(J, [[1, 1, 1], [2, 4, 6]], rtol=1e-8)


def test_numerical_jacobian_of_an_array_not_in_c_order(rng):
    """A transposed (Fortran-order) input is perturbed like any other: its Jacobian is not zero."""
    A = rng.normal(size=(3, 4))
    x = rng.normal(size=(4, 3)).T  # (3, 4), not C-contiguous
    numeric = bp.numerical_jacobian(lambda v: float(np.sum(A * v**2)), x)
    np.testing.assert_allclose(numeric.reshape(3, 4), 2 * A * x, rtol=1e-6, atol=1e-9)
