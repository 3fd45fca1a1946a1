"""backprop_derived.sequence_models (the adding problem and its two models) and their figures."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.sequence_models import (
    AttentionModel,
    RNNModel,
    adding_problem,
    fit,
    mean_squared_error,
    state_gradient_norms,
    state_gradients,
)


def test_adding_problem_marks_two_steps_and_sums_their_values():
    X, y = adding_problem(50, 7, seed=3)
    assert X.shape == (50, 7, 2) and y.shape == (50, 1)
    assert np.all(X[:, :, 1].sum(axis=1) == 2) and set(np.unique(X[:, :, 1])) == {0.0, 1.0}
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] < 1))
    for r in range(50):
        i, j = np.flatnonzero(X[r, :, 1])
        assert y[r, 0] == X[r, i, 0] + X[r, j, 0]
    X2, y2 = adding_problem(50, 7, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_adding_problem_bad_inputs():
    with pytest.raises(ValueError, match="T must be at least 2"):
        adding_problem(5, 1)
    with pytest.raises(TypeError, match="m must be a positive integer"):
        adding_problem(5.0, 4)
    with pytest.raises(ValueError, match="seed"):
        adding_problem(5, 4, seed=-1)


def test_rnn_model_is_the_elman_network_written_out():
    X, _ = adding_problem(3, 5, seed=0)
    model = RNNModel(4, seed=1)
    W_x, W_h, b, w, c = (p.data for p in model.parameters())
    h = np.zeros((3, 4))
    for t in range(5):
        h = np.tanh(X[:, t] @ W_x.T + h @ W_h.T + b)
    np.testing.assert_allclose(model.predict(X).data, h @ w.T + c, rtol=1e-13)


def test_attention_model_is_one_softmax_pooling_written_out():
    X, _ = adding_problem(3, 5, seed=0)
    model = AttentionModel(4, seed=1)
    q, W_K, W_V, b_V, w, c = (p.data for p in model.parameters())
    for r in range(3):
        scores = np.array([X[r, t] @ W_K.T @ q / 2.0 for t in range(5)])  # sqrt(d) = 2
        p = np.exp(scores) / np.exp(scores).sum()
        np.testing.assert_allclose(model.weights(X)[r], p, rtol=1e-13)
        pooled = sum(p[t] * (X[r, t] @ W_V.T + b_V) for t in range(5))
        np.testing.assert_allclose(model.predict(X).data[r], pooled @ w.T + c, rtol=1e-13)


@pytest.mark.parametrize("Model", [RNNModel, AttentionModel])
def test_model_gradients_pass_the_gradient_check(Model):
    X, y = adding_problem(4, 6, seed=0)
    model = Model(4, seed=0)
    mean_squared_error(model, X, y).backward()
    for p in model.parameters():
        saved = p.data.copy()

        def cost(values, p=p):
            p.data = values
            return mean_squared_error(model, X, y).item()

        numeric = bp.numerical_jacobian(cost, saved).reshape(saved.shape)
        p.data = saved
        assert bp.relative_error(p.grad, numeric) < bp.GRADIENT_CHECK_TOLERANCE


@pytest.mark.parametrize("Model", [RNNModel, AttentionModel])
def test_fit_lowers_both_losses(Model):
    X, y = adding_problem(32, 5, seed=0)
    X_test, y_test = adding_problem(32, 5, seed=1)
    history = fit(Model(4, seed=0), X, y, X_test, y_test, steps=40, learning_rate=0.05)
    assert len(history["train"]) == len(history["test"]) == 40
    assert history["train"][-1] < 0.5 * history["train"][0]
    assert history["test"][-1] < history["test"][0]


def _central_state_gradients(model, X, y) -> list[np.ndarray]:
    """dC/dh_t for t = 1..T by central differences of the loss rerun from h_t, written out with NumPy."""
    m, T = X.shape[:2]
    W_x, W_h, b, w, c = (p.data for p in model.parameters())
    n_h = W_h.shape[0]

    def loss_from(t, h_t):
        h = h_t.reshape(m, n_h)
        for s in range(t, T):
            h = np.tanh(X[:, s] @ W_x.T + h @ W_h.T + b)
        return np.mean((h @ w.T + c - y) ** 2)

    h, states = np.zeros((m, n_h)), []
    for s in range(T):
        h = np.tanh(X[:, s] @ W_x.T + h @ W_h.T + b)
        states.append(h)
    return [
        bp.numerical_jacobian(lambda v, t=t: loss_from(t, v), states[t - 1]).reshape(m, n_h) for t in range(1, T + 1)
    ]


def test_state_gradient_norms_match_central_differences():
    X, y = adding_problem(2, 4, seed=0)
    model = RNNModel(3, seed=0)
    numeric = [np.linalg.norm(g) for g in _central_state_gradients(model, X, y)]
    np.testing.assert_allclose(state_gradient_norms(model, X, y), numeric, rtol=1e-6)
    assert all(p.grad is None for p in model.parameters())  # the model's own gradients untouched


def test_state_gradients_match_central_differences_entry_by_entry():
    X, y = adding_problem(2, 4, seed=0)
    model = RNNModel(3, seed=0)
    G = state_gradients(model, X, y)
    assert G.shape == (2, 4, 3)
    for t, numeric in enumerate(_central_state_gradients(model, X, y), start=1):
        np.testing.assert_allclose(G[:, t - 1], numeric, rtol=1e-6, atol=1e-9)
    with pytest.raises(TypeError, match="model must be an RNNModel"):
        state_gradients(AttentionModel(3), X, y)


def test_sequence_model_bad_inputs():
    model = RNNModel(3, seed=0)
    X, y = adding_problem(2, 4, seed=0)
    with pytest.raises(ValueError, match=r"X must have shape \(m, T, 2\)"):
        model.predict(X[:, :, :1])
    with pytest.raises(ValueError, match=r"y must have shape \(m, 1\) = \(2, 1\)"):
        mean_squared_error(model, X, y[:, 0])
    with pytest.raises(TypeError, match="model must be an RNNModel"):
        state_gradient_norms(AttentionModel(3), X, y)
    with pytest.raises(TypeError, match="n_h"):
        RNNModel(3.5)
    with pytest.raises(ValueError, match="learning_rate"):
        fit(model, X, y, X, y, steps=1, learning_rate=0.0)


def test_sequence_figures_describe_their_data():
    fig = bp.plots.plot_learning_curves({"a": [1.0, 0.5, 0.01]}, baseline=0.17, title="T")
    assert "a: 1 at step 1, 0.01 at step 3" in fig.alt_text and "predicting the mean scores 0.17" in fig.alt_text
    fig = bp.plots.plot_gradient_through_time({"before": [0.01, 0.1]}, title="G")
    assert "before: 1.0e-02 at step 1 and 1.0e-01 at step 2, a ratio of 10" in fig.caption
    png = fig.png_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == round(6.4 * bp.plots.DPI)  # drawn for 2x screens, like every figure
    with pytest.raises(ValueError, match="positive numbers"):
        bp.plots.plot_gradient_through_time({"zero": [0.0, 1.0]})
    with pytest.raises(ValueError, match="at least one series"):
        bp.plots.plot_learning_curves({})
