"""bp.autodiff.attention, rnn and clip_grad_norm against PyTorch, only where torch is installed."""

import numpy as np
import pytest

from backprop_derived.autodiff import Tensor, attention, clip_grad_norm, rnn

torch = pytest.importorskip("torch")


def grads_of(op, arrays, R):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = op(*xs)
    (out * Tensor(R)).sum().backward()
    return out.data, [x.grad for x in xs]


@pytest.mark.parametrize("masked", [False, True])
def test_attention_agrees_with_scaled_dot_product_attention(rng, masked):
    Q, K, V = rng.normal(size=(3, 5, 4)), rng.normal(size=(3, 6, 4)), rng.normal(size=(3, 6, 2))
    mask = np.tril(np.ones((5, 6), dtype=bool)) if masked else None
    R = rng.normal(size=(3, 5, 2))
    value, ours = grads_of(lambda q, k, v: attention(q, k, v, mask), [Q, K, V], R)

    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    attn_mask = torch.tensor(mask) if masked else None  # torch's boolean mask: True takes part, as ours
    out = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=attn_mask)
    (out * torch.tensor(R)).sum().backward()
    np.testing.assert_allclose(value, out.detach().numpy(), rtol=1e-12, atol=1e-13)
    for g, t in zip(ours, (qt, kt, vt)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_rnn_agrees_with_torch_nn_rnn(rng, name):
    m, T, n_in, n_h = 3, 7, 4, 5
    X, h0 = rng.normal(size=(m, T, n_in)), rng.normal(size=(m, n_h)) * 0.5
    W_x, W_h = rng.normal(size=(n_h, n_in)) / 2, rng.normal(size=(n_h, n_h)) / np.sqrt(n_h)
    b_ih, b_hh = rng.normal(size=n_h) * 0.1, rng.normal(size=n_h) * 0.1  # torch keeps two biases; ours is their sum
    R = rng.normal(size=(m, T, n_h))
    value, ours = grads_of(lambda *xs: rnn(*xs, activation=name), [X, h0, W_x, W_h, b_ih + b_hh], R)

    net = torch.nn.RNN(n_in, n_h, nonlinearity=name, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p, a in zip((net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0), (W_x, W_h, b_ih, b_hh)):
            p.copy_(torch.tensor(a))
    Xt, h0t = torch.tensor(X, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    out, _ = net(Xt, h0t)
    (out * torch.tensor(R)).sum().backward()
    np.testing.assert_allclose(value, out.detach().numpy(), rtol=1e-12, atol=1e-13)
    theirs = [Xt.grad, h0t.grad[0], net.weight_ih_l0.grad, net.weight_hh_l0.grad]
    for g, t in zip(ours, theirs):
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[4], net.bias_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[4], net.bias_hh_l0.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_agrees_with_torch(rng, max_norm):
    grads = [rng.normal(size=(4, 3)), rng.normal(size=5)]
    ours = []
    for g in grads:
        t = Tensor(np.zeros_like(g), requires_grad=True)
        t.grad = g.copy()
        ours.append(t)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    before = clip_grad_norm(ours, max_norm)
    torch_before = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert before == pytest.approx(torch_before.item(), rel=1e-14)
    for o, t in zip(ours, theirs):
        # tolerance: torch divides by norm + 1e-6, we by the norm (relative difference < 1e-6 / 0.5)
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=3e-6)
