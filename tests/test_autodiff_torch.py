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


def test_new_operations_agree_with_autograd():
    """Division, powers, max, indexing, means over an axis, log-softmax and sqrt, in one composite."""
    rng = np.random.default_rng(0)
    A, B = rng.uniform(0.5, 2.0, size=(4, 3)), rng.normal(size=(4, 3))

    def ours_f(a, b):
        s = (a**1.5 / (b * b + 1.0)).log_softmax(axis=0)
        return (s[[0, 2, 2]].mean(axis=1) * a.max(axis=1)[1:]).sum() + a.sqrt().mean() - (2.0 / a)[1:, ::2].sum()

    def theirs_f(a, b):
        s = torch.log_softmax(a**1.5 / (b * b + 1.0), dim=0)
        return (s[[0, 2, 2]].mean(dim=1) * a.max(dim=1).values[1:]).sum() + a.sqrt().mean() - (2.0 / a)[1:, ::2].sum()

    ours = [Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)]
    ours_f(*ours).backward()
    theirs = [torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)]
    theirs_f(*theirs).backward()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_hvp_agrees_with_autograd(hidden):
    X, y = bp.load_iris()
    rows = np.arange(0, 150, 5)
    X, Y = bp.standardize(X)[rows], bp.one_hot(y[rows], 3)
    params = bp.Network([4, 5, 3], hidden=hidden, seed=0).parameters()
    rng = np.random.default_rng(1)
    vs = [rng.normal(size=p.shape) for p in params]

    def ours_f(W1, b1, W2, b2):
        return softmax_cross_entropy(getattr(Tensor(X) @ W1.T + b1, hidden)() @ W2.T + b2, Y)

    def theirs_f(W1, b1, W2, b2):
        z = getattr(torch, hidden)(torch.tensor(X) @ W1.T + b1) @ W2.T + b2
        return -(torch.tensor(Y) * torch.log_softmax(z, dim=1)).sum() / len(X)

    ours = bp.autodiff.hvp(ours_f, params, vs)
    _, theirs = torch.autograd.functional.hvp(
        theirs_f, tuple(torch.tensor(p) for p in params), tuple(torch.tensor(v) for v in vs)
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # inside torch's forward AD
def test_jvp_agrees_with_autograd_forward_mode():
    rng = np.random.default_rng(2)
    Z, V = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, ours = bp.autodiff.jvp(lambda z: z.softmax() * z.tanh(), [Z], [V])
    fwad = torch.autograd.forward_ad  # PyTorch's dual numbers
    with fwad.dual_level():
        z = fwad.make_dual(torch.tensor(Z), torch.tensor(V))
        theirs = fwad.unpack_dual(torch.softmax(z, dim=-1) * torch.tanh(z)).tangent
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-14)
