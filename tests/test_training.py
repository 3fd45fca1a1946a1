import numpy as np
import pytest

import backprop_derived as bp
from conftest import iris_split


def test_iris_reaches_93_percent_with_the_documented_defaults():
    X_tr, X_te, y_tr, y_te = iris_split()
    net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
    history = bp.train(net, X_tr, bp.one_hot(y_tr, 3), seed=0, test=(X_te, bp.one_hot(y_te, 3)))
    assert bp.accuracy(y_te, net.predict(X_te)) >= 0.93
    assert history.epochs == 200 and len(history.test_accuracy) == 200
    assert history.test_accuracy[-1] == bp.accuracy(y_te, net.predict(X_te))
    assert history.loss[-1] < history.loss[0]


def test_training_is_deterministic():
    X_tr, _, y_tr, _ = iris_split()
    runs = []
    for _ in range(2):
        net = bp.Network([4, 5, 3], seed=1)
        bp.train(net, X_tr, bp.one_hot(y_tr, 3), epochs=5, seed=3)
        runs.append(net.parameters())
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p, q)


def test_one_step_is_plain_gradient_descent():
    X_tr, _, y_tr, _ = iris_split()
    Y = bp.one_hot(y_tr, 3)
    net = bp.Network([4, 5, 3], seed=0)
    before = [p.copy() for p in net.parameters()]
    grads = net.gradients(X_tr, Y)
    bp.train(net, X_tr, Y, epochs=1, batch_size=len(X_tr), learning_rate=0.5)
    for p0, p1, g in zip(before, net.parameters(), [g for pair in grads for g in pair]):
        np.testing.assert_allclose(p1, p0 - 0.5 * g, atol=1e-15)


def test_print_every_prints_one_line_per_period(capsys):
    X_tr, _, y_tr, _ = iris_split()
    bp.train(bp.Network([4, 5, 3], seed=0), X_tr, bp.one_hot(y_tr, 3), epochs=10, print_every=5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch    5")


def _record_batches(net, monkeypatch):
    """Spy on ``net.gradients``: the list of batches (their row ids, column 0 of X) train hands it."""
    batches = []
    original = net.gradients

    def spy(X, Y):
        batches.append(X[:, 0].astype(int).tolist())
        return original(X, Y)

    monkeypatch.setattr(net, "gradients", spy)
    return batches


def _numbered_rows(m):
    X = np.zeros((m, 4))
    X[:, 0] = np.arange(m)  # row r carries its own id r
    return X, bp.one_hot(np.arange(m) % 3, 3)


def test_every_epoch_shuffles_the_rows_anew(monkeypatch):
    net = bp.Network([4, 5, 3], seed=0)
    batches = _record_batches(net, monkeypatch)
    bp.train(net, *_numbered_rows(40), epochs=3, batch_size=40, seed=0)
    orders = [tuple(b) for b in batches]
    assert len(orders) == 3 and all(sorted(o) == list(range(40)) for o in orders)
    assert orders[0] != tuple(range(40))  # not the data's own order
    assert len(set(orders)) == 3  # a new order in every epoch


def test_the_seed_decides_the_order(monkeypatch):
    orders = []
    for seed in (0, 1, 0):
        net = bp.Network([4, 5, 3], seed=0)
        batches = _record_batches(net, monkeypatch)
        bp.train(net, *_numbered_rows(30), epochs=1, batch_size=30, seed=seed)
        orders.append(batches[0])
    assert orders[0] == orders[2] != orders[1]


def test_the_last_partial_batch_is_kept(monkeypatch):
    net = bp.Network([4, 5, 3], seed=0)
    batches = _record_batches(net, monkeypatch)
    bp.train(net, *_numbered_rows(10), epochs=2, batch_size=4, seed=0)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    for epoch in (batches[:3], batches[3:]):
        assert sorted(r for b in epoch for r in b) == list(range(10))  # every row once per epoch


def test_history_records_the_test_set_under_test_names():
    X_tr, X_te, y_tr, y_te = iris_split()
    net = bp.Network([4, 5, 3], seed=0)
    history = bp.train(net, X_tr, bp.one_hot(y_tr, 3), epochs=3, test=(X_te, bp.one_hot(y_te, 3)))
    assert len(history.test_loss) == len(history.test_accuracy) == 3
    assert history.test_loss[-1] == pytest.approx(net.cost(X_te, bp.one_hot(y_te, 3)), rel=1e-12)
