import numpy as np
import pytest

import backprop_derived as bp


def test_iris_is_the_standard_table():
    X, y = bp.load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and set(y.tolist()) == {0, 1, 2}
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(X[-1], [5.9, 3.0, 5.1, 1.8])
    # Column means of Fisher's data, as published.
    np.testing.assert_allclose(X.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6)


def test_one_hot():
    np.testing.assert_array_equal(bp.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels in 0..2; got \[3\]"):
        bp.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"labels in 0..2; got \[-1\]"):
        bp.one_hot([-1], 3)
    with pytest.raises(ValueError, match=r"whole-number labels; got \[0.5\]"):
        bp.one_hot([0.5], 3)
    with pytest.raises(ValueError, match=r"1-D array .* got shape \(2, 1\)"):
        bp.one_hot([[0], [1]], 3)


def test_stratified_split_is_deterministic_and_keeps_classes():
    X, y = bp.load_iris()
    X_tr, X_te, y_tr, y_te = bp.train_test_split(X, y, test_fraction=0.3, seed=0)
    assert X_tr.shape == (105, 4) and X_te.shape == (45, 4)
    np.testing.assert_array_equal(np.bincount(y_te), [15, 15, 15])
    np.testing.assert_array_equal(np.bincount(y_tr), [35, 35, 35])
    again = bp.train_test_split(X, y, test_fraction=0.3, seed=0)
    np.testing.assert_array_equal(again[1], X_te)
    # Every flower lands in exactly one part.
    assert len({tuple(r) + (c,) for r, c in zip(np.vstack([X_tr, X_te]), np.concatenate([y_tr, y_te]))}) == len(
        {tuple(r) + (c,) for r, c in zip(X, y)}
    )


def test_standardize_uses_training_statistics_only():
    X_tr = np.array([[0.0, 10.0], [2.0, 30.0]])
    X_te = np.array([[4.0, 20.0]])
    S_tr, S_te = bp.standardize(X_tr, X_te)
    np.testing.assert_allclose(S_tr, [[-1, -1], [1, 1]])
    np.testing.assert_allclose(S_te, [[3, 0]])


def test_metrics():
    assert bp.accuracy(np.array([0, 1, 2]), np.array([0, 2, 2])) == pytest.approx(2 / 3)
    np.testing.assert_array_equal(bp.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], 3), [[1, 0, 0], [0, 0, 1], [0, 0, 2]])
