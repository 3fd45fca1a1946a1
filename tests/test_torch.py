"""Against PyTorch autograd, only where torch is installed (it is never a dependency)."""

import numpy as np
import pytest

import backprop_derived as bp

torch = pytest.importorskip("torch")

ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}


@pytest.mark.parametrize("hidden, output", [("relu", "softmax"), ("tanh", "sigmoid"), ("sigmoid", "identity")])
def test_gradients_agree_with_autograd(hidden, output):
    rng = np.random.default_rng(0)
    net = bp.Network([4, 6, 5, 3], hidden=hidden, output=output, seed=0)
    X = rng.normal(size=(20, 4))
    Y = bp.one_hot(rng.integers(0, 3, 20), 3) if output == "softmax" else rng.uniform(size=(20, 3))
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.parameters()]
    a = torch.tensor(X)
    for l in range(net.L):
        z = a @ params[2 * l].T + params[2 * l + 1]
        a = ACT[hidden](z) if l < net.L - 1 else z
    Yt = torch.tensor(Y)
    if output == "softmax":
        C = -(Yt * torch.log_softmax(a, dim=1)).sum() / len(X)
    else:
        A = ACT[output](a)
        C = 0.5 * ((A - Yt) ** 2).sum() / len(X)
    C.backward()
    assert net.cost(X, Y) == pytest.approx(C.item(), rel=1e-12)
    ours = [g for pair in net.gradients(X, Y) for g in pair]
    for g, p in zip(ours, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10, atol=1e-12)
