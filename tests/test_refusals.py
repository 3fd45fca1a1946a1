"""Part of every public call's contract: bad input is refused with a message naming the argument,
what was expected and what came, before anything is computed. One test per case, grouped by the
kind of input; the checks themselves live in one place, ``backprop_derived._checks``.

The second half pins behaviours that a planted fault in ``src/`` once changed without any test
failing: each test here fails with that fault planted.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import backprop_derived as bp
from backprop_derived.activations import ACTIVATIONS


def _copy(net: bp.Network) -> list[np.ndarray]:
    return [p.copy() for p in net.parameters()]


def _unchanged(net: bp.Network, before: list[np.ndarray]) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(net.parameters(), before))


@pytest.fixture
def bce_net():
    return bp.Network([2, 3, 1], hidden="tanh", output="sigmoid", cost="binary_cross_entropy", seed=0)


@pytest.fixture
def ce_net():
    return bp.Network([4, 5, 3], seed=0)


# --- targets out of range for the cost ----------------------------------------------------------


@pytest.mark.parametrize("label", [2.0, -1.0])
def test_binary_cross_entropy_refuses_a_label_outside_0_1(bce_net, label):
    X, Y = np.ones((2, 2)), np.array([[1.0], [label]])
    message = rf"Y for 'binary_cross_entropy' must hold values in \[0, 1\].*got {label:g} at row 1, column 0"
    for call in (
        lambda: bce_net.cost(X, Y),
        lambda: bce_net.gradients(X, Y),
        lambda: bp.gradient_check(bce_net, X, Y),
        lambda: bp.get_cost("binary_cross_entropy").value(np.full((2, 1), 0.5), Y),
        lambda: bp.get_cost("binary_cross_entropy").gradient(np.full((2, 1), 0.5), Y),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_training_refuses_binary_labels_outside_0_1_before_any_update(bce_net):
    before = _copy(bce_net)
    with pytest.raises(ValueError, match=r"Y for 'binary_cross_entropy' must hold values in \[0, 1\]"):
        bp.train(bce_net, np.ones((3, 2)), [[1.0], [0.0], [2.0]], epochs=1)
    assert _unchanged(bce_net, before)


def test_cross_entropy_refuses_a_row_that_sums_to_1_but_is_no_distribution(ce_net):
    X, Y = np.ones((2, 4)), np.array([[0.0, 1.0, 0.0], [2.0, -1.0, 0.0]])
    assert np.allclose(Y.sum(axis=1), 1.0)  # the row sum alone cannot see it
    message = r"Y for 'cross_entropy' must hold values in \[0, 1\] \(a probability distribution per row\); got 2"
    for call in (
        lambda: ce_net.cost(X, Y),
        lambda: ce_net.gradients(X, Y),
        lambda: bp.gradient_check(ce_net, X, Y),
        lambda: bp.get_cost("cross_entropy").value(np.full((2, 3), 1 / 3), Y),
        lambda: bp.get_cost("cross_entropy").value_from_logits(np.zeros((2, 3)), Y),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    before = _copy(ce_net)
    with pytest.raises(ValueError, match=message):
        bp.train(ce_net, X, Y, epochs=1)
    assert _unchanged(ce_net, before)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    Y=arrays(np.float64, array_shapes(min_dims=2, max_dims=2, max_side=4), elements=st.floats(0, 1)),
    where=st.data(),
    bad=st.one_of(st.floats(-1e6, -1e-9), st.floats(1 + 1e-9, 1e6)),
)
def test_any_entry_outside_0_1_is_refused_by_both_cross_entropies(Y, where, bad):
    r = where.draw(st.integers(0, Y.shape[0] - 1))
    c = where.draw(st.integers(0, Y.shape[1] - 1))
    Y[r, c] = bad
    A = np.full(Y.shape, 0.5)
    for name in ("cross_entropy", "binary_cross_entropy"):
        with pytest.raises(ValueError, match=rf"must hold values in \[0, 1\].*at row {r}, column {c}"):
            bp.get_cost(name).value(A, Y)


def test_squared_error_takes_any_finite_target():
    cost = bp.get_cost("squared_error")
    A, Y = np.array([[0.5, 0.5]]), np.array([[2.0, -1.0]])
    assert cost.value(A, Y) == pytest.approx(0.5 * (1.5**2 + 1.5**2))  # 1/2 sum of squares, written out


def test_a_nan_target_is_refused_by_the_costs_called_directly():
    for name in ("cross_entropy", "binary_cross_entropy", "squared_error"):
        with pytest.raises(ValueError, match="Y contains NaN or inf"):
            bp.get_cost(name).value(np.full((1, 2), 0.5), [[np.nan, 1.0]])


# --- shape mismatches in the costs' from-logits paths -------------------------------------------


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
def test_fused_paths_refuse_mismatched_shapes_with_our_message(name):
    cost = bp.get_cost(name)
    with pytest.raises(ValueError, match=r"z and Y must be arrays of the same shape \(m, n\).*\(2, 3\) and \(3, 3\)"):
        cost.value_from_logits(np.zeros((2, 3)), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"A and Y must be arrays of the same shape \(m, n\).*\(2, 3\) and \(2, 2\)"):
        cost.output_delta(np.full((2, 3), 1 / 3), np.full((2, 2), 0.5))
    with pytest.raises(TypeError, match="z must be an array of real numbers"):
        cost.value_from_logits("logits", np.ones((1, 1)))


# --- arrays that are not real numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, pattern",
    [
        (np.array([[1 + 2j, 0.0]]), "X must be an array of real numbers; got complex values"),
        ([[1, 2], [3]], "X must be an array of real numbers; got list: setting an array element"),
        ([["a", "b"]], "X must be an array of real numbers; got list: could not convert string"),
    ],
    ids=["complex-array", "ragged", "strings"],
)
def test_a_batch_that_is_not_real_numbers_is_refused_with_our_message(bad, pattern):
    net = bp.Network([2, 2], output="identity", seed=0)
    with pytest.raises(TypeError, match=pattern):
        net.forward(bad)


# --- register_activation ------------------------------------------------------------------------


def _activation(**attributes) -> bp.Activation:
    """An instance of a fresh subclass of Activation with ``attributes`` set on the class."""
    body = {"_value": lambda self, z: z, "_derivative": lambda self, a: np.ones_like(a), **attributes}
    return type("Planted", (bp.Activation,), body)()


@pytest.mark.parametrize(
    "attributes, error, pattern",
    [
        ({}, ValueError, r"activation has no name of its own \(it inherits 'activation'\)"),
        ({"name": 3}, TypeError, r"activation name must be a str such as 'leaky_relu'; got 3 of type int"),
        ({"name": ""}, ValueError, r"activation name must be a non-empty identifier.*got ''"),
        ({"name": "two words"}, ValueError, r"non-empty identifier.*got 'two words'"),
        ({"name": "p", "roles": ["hidden"]}, TypeError, r"roles of 'p' must be a frozenset of.*got \['hidden'\]"),
        ({"name": "p", "roles": "hidden"}, TypeError, r"roles of 'p' must be a frozenset.*got 'hidden'"),
        ({"name": "p", "roles": frozenset()}, ValueError, r"non-empty subset of \{'hidden', 'output'\}; got an empty"),
        ({"name": "p", "roles": frozenset({"hidden", "middle"})}, ValueError, r"got unknown 'middle'"),
        ({"name": "p", "init_gain": -1}, ValueError, r"init_gain of 'p' must be a positive finite number; got -1"),
        ({"name": "p", "init_gain": "2"}, TypeError, r"init_gain of 'p' must be a positive finite number; got '2'"),
        ({"name": "p", "init_gain": float("inf")}, ValueError, r"init_gain of 'p' must be a positive finite"),
    ],
    ids=[
        "nameless",
        "name-3",
        "name-empty",
        "name-spaces",
        "roles-list",
        "roles-str",
        "roles-empty",
        "roles-unknown",
        "gain-negative",
        "gain-str",
        "gain-inf",
    ],
)
def test_register_activation_refuses(attributes, error, pattern):
    before = dict(ACTIVATIONS)
    with pytest.raises(error, match=pattern):
        bp.register_activation(_activation(**attributes))
    assert before == ACTIVATIONS  # nothing was registered


def test_register_activation_refuses_a_name_taken_and_a_non_activation():
    with pytest.raises(ValueError, match="an activation called 'relu' is already registered"):
        bp.register_activation(_activation(name="relu"))
    with pytest.raises(TypeError, match="activation must be an Activation instance"):
        bp.register_activation(lambda z: z)


# --- faults that once survived: each test fails with its fault planted ---------------------------


def test_binary_cross_entropy_at_a_certain_output_is_finite_and_exact():
    # Clipping a instead of 1 - a (or neither) gives log(0) = -inf and 0 * -inf = NaN at a = 1.
    cost = bp.get_cost("binary_cross_entropy")
    A = np.array([[1.0, 0.0]])
    assert cost.value(A, [[1.0, 0.0]]) == 0.0  # both outputs certain and right: -log 1 = 0
    wrong = cost.value(A, [[0.0, 1.0]])  # both certain and wrong: clipped at the smallest normal float
    assert wrong == pytest.approx(-2 * np.log(np.finfo(np.float64).tiny))
    assert np.isfinite(cost.gradient(A, [[0.0, 1.0]])).all()


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy", "squared_error"])
def test_costs_refuse_an_empty_batch(name):
    cost = bp.get_cost(name)
    empty = np.zeros((0, 2))
    for call in (cost.value, cost.gradient):
        with pytest.raises(ValueError, match=r"with m >= 1; got \(0, 2\) and \(0, 2\)"):
            call(empty, empty)


@pytest.mark.parametrize("bad", [np.inf, float("nan")])
def test_an_infinite_or_nan_learning_rate_or_step_is_refused(ce_net, bad):
    X, Y = np.ones((3, 4)), bp.one_hot([0, 1, 2], 3)
    before = _copy(ce_net)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        bp.train(ce_net, X, Y, epochs=1, learning_rate=bad)
    assert _unchanged(ce_net, before)
    with pytest.raises(ValueError, match="h must be a positive finite number"):
        bp.numerical_jacobian(np.sin, np.ones(2), h=bad)
    with pytest.raises(ValueError, match="must be a positive finite number"):
        bp.numerical_gradients(ce_net, X, Y, bad)


@pytest.mark.parametrize("fraction", [0, 0.0, 1, 1.0])
def test_a_test_fraction_of_exactly_0_or_1_is_refused(fraction):
    X, y = bp.load_iris()
    with pytest.raises(ValueError, match=rf"test_fraction must lie strictly between 0 and 1; got {fraction}"):
        bp.train_test_split(X, y, test_fraction=fraction)


def test_an_empty_matrix_is_refused():
    X, y = np.zeros((0, 4)), np.zeros(0, dtype=int)
    with pytest.raises(ValueError, match=r"X is an empty batch \(shape \(0, 4\)\)"):
        bp.train_test_split(X, y)
    with pytest.raises(ValueError, match=r"X_train is an empty batch \(shape \(0, 4\)\)"):
        bp.standardize(X)


def test_target_rows_must_sum_to_one_to_1e_9(ce_net):
    X = np.ones((1, 4))
    close = np.array([[0.2, 0.3, 0.5 + 1e-12]])  # rounding-level: accepted
    ce_net.gradients(X, close)
    for off in (1e-6, 1e-3):  # a tolerance loosened to 1e-2 would let these through
        with pytest.raises(ValueError, match="each row of Y must sum to 1"):
            ce_net.gradients(X, [[0.2, 0.3, 0.5 + off]])


def test_training_stops_when_the_loss_becomes_infinite():
    # Squared error on identity outputs has no clip: huge inputs and a huge step overflow the loss to
    # +inf (not NaN) in the first epoch. A divergence check that only looked for NaN would go on.
    net = bp.Network([1, 1], output="identity", seed=0)
    X, Y = np.array([[1e150]]), np.array([[0.0]])
    with pytest.raises(ValueError, match=r"the training loss became inf at epoch 1 of 5"):
        bp.train(net, X, Y, epochs=5, learning_rate=1e10, batch_size=1)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(Y=bp.one_hot([0, 1, 2, 0], 3)), r"Y must have shape \(3, 3\); got shape \(4, 3\)"),
        (dict(test=(np.ones((2, 3)), bp.one_hot([0, 1], 3))), r"X_test must have 4 columns"),
        (dict(test=(np.ones((2, 4)), bp.one_hot([0, 1, 2], 3))), r"Y_test must have shape \(2, 3\)"),
        (dict(test=(np.ones((1, 4)), [[2.0, -1.0, 0.0]])), r"Y_test for 'cross_entropy' must hold values"),
        (dict(print_every=-1), "print_every must be a non-negative integer"),
    ],
    ids=["mismatched-rows", "test-columns", "test-rows", "test-targets", "print-every"],
)
def test_train_checks_every_argument_before_the_first_update(ce_net, kwargs, pattern):
    args = dict(X=np.ones((3, 4)), Y=bp.one_hot([0, 1, 2], 3), epochs=1) | kwargs
    before = _copy(ce_net)
    with pytest.raises(ValueError, match=pattern):
        bp.train(ce_net, **args)
    assert _unchanged(ce_net, before)
