"""batch_norm and layer_norm, checked three ways: central differences, the same function written with
the engine's primitive operations (mean, sqrt, /, *), and PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, batch_norm, hvp, jvp, layer_norm, vjp

NORMS = {"batch_norm": (batch_norm, 0), "layer_norm": (layer_norm, 1)}


def _inputs(m=5, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)) * 2 + 1, rng.normal(size=n), rng.normal(size=n), rng.normal(size=(m, n))


def _reference(X, gamma, beta, eps, axis):
    """The forward pass written with primitive engine operations on Tensors."""
    mu = X.mean(axis=axis, keepdims=True)
    centred = X - mu
    var = (centred * centred).mean(axis=axis, keepdims=True)
    return gamma * (centred / (var + eps).sqrt()) + beta


def _numpy_forward(X, gamma, beta, eps, axis):
    """The forward pass as explicit loops over the rows (or columns) that share statistics."""
    Y = np.empty_like(X)
    lines = range(X.shape[1 - axis])
    for k in lines:
        x = X[:, k] if axis == 0 else X[k]
        mu = sum(x) / len(x)
        var = sum((v - mu) ** 2 for v in x) / len(x)
        out = [(v - mu) / np.sqrt(var + eps) for v in x]
        if axis == 0:
            Y[:, k] = gamma[k] * np.array(out) + beta[k]
        else:
            Y[k] = gamma * np.array(out) + beta
    return Y


def _grads(op, X, gamma, beta, W, **kw):
    ts = [Tensor(a, requires_grad=True) for a in (X, gamma, beta)]
    Y = op(*ts, **kw)
    (Y * Tensor(W)).sum().backward()
    return Y.data, [t.grad for t in ts]


@pytest.mark.parametrize("name", NORMS)
def test_forward_matches_explicit_loops(name):
    op, axis = NORMS[name]
    X, gamma, beta, _ = _inputs()
    Y = op(Tensor(X), Tensor(gamma), Tensor(beta), eps=1e-3).data
    np.testing.assert_allclose(Y, _numpy_forward(X, gamma, beta, 1e-3, axis), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NORMS)
def test_vjp_matches_central_differences(name):
    op, _ = NORMS[name]
    X, gamma, beta, W = _inputs()
    _, grads = _grads(op, X, gamma, beta, W)
    arrays = [X, gamma, beta]
    for k in range(3):

        def cost(a, k=k):
            args = [Tensor(a if j == k else arrays[j]) for j in range(3)]
            return float((op(*args).data * W).sum())

        numeric = bp.numerical_jacobian(cost, arrays[k]).reshape(arrays[k].shape)
        assert bp.relative_error(grads[k], numeric) < bp.GRADIENT_CHECK_TOLERANCE
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NORMS)
def test_vjp_matches_the_primitive_composition(name):
    op, axis = NORMS[name]
    X, gamma, beta, W = _inputs(m=6, n=3, seed=1)
    Y, grads = _grads(op, X, gamma, beta, W)
    ts = [Tensor(a, requires_grad=True) for a in (X, gamma, beta)]
    Y_ref = _reference(*ts, 1e-5, axis)
    (Y_ref * Tensor(W)).sum().backward()
    np.testing.assert_allclose(Y, Y_ref.data, rtol=1e-12, atol=1e-12)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NORMS)
def test_jvp_matches_central_differences_and_the_vjp(name):
    op, _ = NORMS[name]
    X, gamma, beta, W = _inputs(seed=2)
    rng = np.random.default_rng(3)
    tangents = [rng.normal(size=a.shape) for a in (X, gamma, beta)]
    _, tangent = jvp(op, [X, gamma, beta], tangents)
    h = 1e-6
    up = op(*(Tensor(a + h * t) for a, t in zip((X, gamma, beta), tangents))).data
    down = op(*(Tensor(a - h * t) for a, t in zip((X, gamma, beta), tangents))).data
    np.testing.assert_allclose(tangent, (up - down) / (2 * h), rtol=1e-6, atol=1e-9)
    _, pullback = vjp(op, X, gamma, beta)  # <W, J t> = <J^T W, t>: the two modes agree
    cotangents = pullback(W)
    assert abs(np.sum(W * tangent) - sum(np.sum(c * t) for c, t in zip(cotangents, tangents))) < 1e-10


@pytest.mark.parametrize("name", NORMS)
def test_hvp_through_the_normalisation_matches_differences_of_the_gradient(name):
    op, _ = NORMS[name]
    X, gamma, beta, W = _inputs(m=4, n=3, seed=4)
    v = [np.random.default_rng(5).normal(size=a.shape) for a in (X, gamma, beta)]

    def cost(X, gamma, beta):
        Y = op(X, gamma, beta)
        return (Y * Y * Tensor(W)).sum()  # not linear in Y, so the Hessian has a part from the cost

    Hv = hvp(cost, [X, gamma, beta], v)
    h = 1e-5

    def gradient(shift):
        _, pullback = vjp(cost, *(a + shift * t for a, t in zip((X, gamma, beta), v)))
        return pullback(np.ones(()))

    numeric = [(a - b) / (2 * h) for a, b in zip(gradient(h), gradient(-h))]
    for got, want in zip(Hv, numeric):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_batch_norm_couples_the_rows_and_layer_norm_does_not():
    X, gamma, beta, _ = _inputs()
    for op, coupled in ((batch_norm, True), (layer_norm, False)):
        J = bp.numerical_jacobian(lambda a, op=op: op(Tensor(a), Tensor(gamma), Tensor(beta)).data, X)
        J = J.reshape(5, 4, 5, 4)  # (output row, column, input row, column)
        off_diagonal_rows = np.abs(J[0, :, 1:, :]).max()
        assert (off_diagonal_rows > 1e-3) == coupled


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones((1, 3)), np.ones(3), np.zeros(3)), "at least 2 rows"),
        ((np.ones((4, 3)), np.ones(2), np.zeros(3)), "gamma must have shape"),
        ((np.ones((4, 3)), np.ones(3), np.zeros((1, 3))), "beta must have shape"),
        ((np.ones(3), np.ones(3), np.zeros(3)), "X must have shape"),
        ((np.ones((0, 3)), np.ones(3), np.zeros(3)), r"m >= 2"),  # an empty batch: what batch_norm needs
    ],
)
def test_batch_norm_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        batch_norm(*(Tensor(a) for a in args))


def test_normalisations_refuse_bad_eps_rows_of_one_and_arrays():
    X, gamma, beta, _ = _inputs()
    for op in (batch_norm, layer_norm):
        for eps in (0.0, -1e-5, float("nan")):
            with pytest.raises(ValueError, match="eps"):
                op(Tensor(X), Tensor(gamma), Tensor(beta), eps=eps)
        with pytest.raises(TypeError, match="X must be a Tensor"):
            op(X, Tensor(gamma), Tensor(beta))
    with pytest.raises(ValueError, match="at least 2 columns"):
        layer_norm(Tensor(np.ones((3, 1))), Tensor(np.ones(1)), Tensor(np.zeros(1)))


@pytest.mark.parametrize("name", NORMS)
def test_against_pytorch(name):
    torch = pytest.importorskip("torch")
    op, _ = NORMS[name]
    X, gamma, beta, W = _inputs(m=7, n=5, seed=6)
    Y, grads = _grads(op, X, gamma, beta, W, eps=1e-3)
    tx, tg, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (X, gamma, beta))
    if name == "batch_norm":
        ty = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-3)
    else:
        ty = torch.nn.functional.layer_norm(tx, (5,), tg, tb, eps=1e-3)
    (ty * torch.tensor(W)).sum().backward()
    np.testing.assert_allclose(Y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    for g, t in zip(grads, (tx, tg, tb)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_running_statistics_follow_pytorchs_update_rule():
    """The batch-norm page's inference section: PyTorch's running mean and unbiased running variance."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    batches = [rng.normal(size=(10, 5)) * 3 + 1 for _ in range(4)]
    layer = torch.nn.BatchNorm1d(5, eps=1e-5, momentum=0.1, dtype=torch.float64)
    layer.train()
    mu_run, var_run, alpha = np.zeros(5), np.ones(5), 0.1
    for Z in batches:
        out = layer(torch.tensor(Z))
        m = len(Z)
        mu_run = (1 - alpha) * mu_run + alpha * Z.mean(axis=0)
        var_run = (1 - alpha) * var_run + alpha * Z.var(axis=0) * m / (m - 1)
        ours = batch_norm(Tensor(Z), Tensor(np.ones(5)), Tensor(np.zeros(5))).data  # training mode: batch statistics
        np.testing.assert_allclose(ours, out.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mu_run, layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var_run, layer.running_var.numpy(), rtol=1e-12)
    layer.eval()
    Z = batches[0][:1]  # inference on one row: (BN5)
    np.testing.assert_allclose(
        layer(torch.tensor(Z)).detach().numpy(), (Z - mu_run) / np.sqrt(var_run + 1e-5), rtol=1e-12, atol=1e-12
    )
