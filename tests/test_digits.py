"""The digits shipped with the package: shape, range, class counts, and equality with scikit-learn's copy."""

import numpy as np
import pytest

import backprop_derived as bp


def test_load_digits_shapes_range_and_classes():
    X, y = bp.load_digits()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype.kind == "i"
    assert X.min() == 0 and X.max() == 16 and np.all(np.round(X) == X)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_load_digits_equals_scikit_learns_copy():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = bp.load_digits()
    reference = datasets.load_digits()
    np.testing.assert_array_equal(X.reshape(-1, 64), reference.data)
    np.testing.assert_array_equal(y, reference.target)
