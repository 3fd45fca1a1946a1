"""backprop_derived.autodiff against PyTorch autograd, only where torch is installed (it is never a dependency)."""

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, softmax_cross_entropy

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
def test_the_4_5_3_network_agrees_with_autograd(hidden):
    X, y = bp.load_iris()
    rows = np.arange(0, 150, 7)
    X, Y = X[rows], bp.one_hot(y[rows], 3)
    net = bp.Network([4, 5, 3], hidden=hidden, seed=0)

    ours = [Tensor(p, requires_grad=True) for p in net.parameters()]
    z = getattr(Tensor(X) @ ours[0].T + ours[1], hidden)() @ ours[2].T + ours[3]
    C = softmax_cross_entropy(z, Y)
    C.backward()

    theirs = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.parameters()]
    zt = getattr(torch, hidden)(torch.tensor(X) @ theirs[0].T + theirs[1]) @ theirs[2].T + theirs[3]
    Ct = -(torch.tensor(Y) * torch.log_softmax(zt, dim=1)).sum() / len(X)
    Ct.backward()

    assert float(C.data) == pytest.approx(Ct.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_hidden_activation_with_several_consumers_agrees_with_autograd():
    X, y = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    W1, b1, W2, b2 = net.parameters()
    Y = bp.one_hot(y[100:101], 3)

    h = Tensor(np.maximum(X[100:101] @ W1.T + b1, 0.0), requires_grad=True)  # hidden activation (1, 5)
    unit = np.eye(3)
    # three consumers of h, one per output neuron, reassembled into the row z_L = sum_i z_i e_i
    z = [h @ Tensor(W2[i : i + 1]).T + float(b2[i]) for i in range(3)]
    C = softmax_cross_entropy(z[0] @ Tensor(unit[:1]) + z[1] @ Tensor(unit[1:2]) + z[2] @ Tensor(unit[2:]), Y)
    C.backward()

    ht = torch.tensor(h.data, requires_grad=True)
    Ct = -(torch.tensor(Y) * torch.log_softmax(ht @ torch.tensor(W2).T + torch.tensor(b2), dim=1)).sum()
    Ct.backward()
    np.testing.assert_allclose(h.grad, ht.grad.numpy(), rtol=1e-12, atol=1e-14)
