"""conv2d, max_pool2d and avg_pool2d, checked three ways: central differences, the same functions
written with the engine's primitive operations (indexing, @, reshape, mean, max), and PyTorch where
it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.autodiff import Tensor, avg_pool2d, conv2d, jvp, max_pool2d, vjp

# (image height, width, kernel height, width, stride, padding): square and not, strided, padded
CONV_CASES = [(5, 5, 3, 3, 1, 0), (7, 7, 3, 3, 2, 1), (6, 8, 2, 4, 2, 0), (4, 5, 3, 2, 1, 1)]


def _conv_inputs(h, w, kh, kw, s, p, seed=0):
    rng = np.random.default_rng(seed)
    X, K, b = rng.normal(size=(2, 3, h, w)), rng.normal(size=(4, 3, kh, kw)), rng.normal(size=4)
    h_out, w_out = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    return X, K, b, rng.normal(size=(2, 4, h_out, w_out))


def _conv_loops(X, K, b, s, p):
    """The definition, one output entry at a time: Z[r,o,i,j] = b_o + sum_{c,u,v} K[o,c,u,v] Xp[r,c,s i+u,s j+v]."""
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    kh, kw = K.shape[2:]
    h_out, w_out = (Xp.shape[2] - kh) // s + 1, (Xp.shape[3] - kw) // s + 1
    Z = np.empty((X.shape[0], K.shape[0], h_out, w_out))
    for r, o, i, j in np.ndindex(Z.shape):
        Z[r, o, i, j] = b[o] + np.sum(K[o] * Xp[r, :, s * i : s * i + kh, s * j : s * j + kw])
    return Z


def _swap_last_two(t):
    a, b, c, d = t.shape
    return t[tuple(np.ix_(range(a), range(b), range(d), range(c))[k] for k in (0, 1, 3, 2))]


def _conv_primitives(X, K, b, s, p):
    """conv2d from engine primitives: zero padding by @ with 0/1 matrices, im2col by indexing, then @."""
    m, c, h, w = X.shape
    c_out, _, kh, kw = K.shape
    H, W = h + 2 * p, w + 2 * p
    # zero padding as products with 0/1 matrices: columns on the right, rows after swapping the last two axes
    Xp = (X.reshape(m * c * h, w) @ Tensor(np.eye(w, W, k=p))).reshape(m, c, h, W)
    Xp = (_swap_last_two(Xp).reshape(m * c * W, h) @ Tensor(np.eye(h, H, k=p))).reshape(m, c, W, H)
    Xp = _swap_last_two(Xp)
    h_out, w_out = (H - kh) // s + 1, (W - kw) // s + 1
    r, i, j, ch, u, v = np.ix_(range(m), range(h_out), range(w_out), range(c), range(kh), range(kw))
    shape = (m, h_out, w_out, c, kh, kw)
    index = tuple(np.broadcast_to(a, shape).reshape(m * h_out * w_out, -1) for a in (r, ch, s * i + u, s * j + v))
    P = Xp[index]  # one row per output position: im2col
    Z_rows = P @ K.reshape(c_out, -1).T + b  # the dense layer's z = a W^T + b, one row per position
    rr, oo, ii, jj = np.ix_(range(m), range(c_out), range(h_out), range(w_out))
    return Z_rows.reshape(m, h_out, w_out, c_out)[rr, ii, jj, oo]  # to (m, c_out, h_out, w_out)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_matches_the_definition(case):
    X, K, b, _ = _conv_inputs(*case)
    s, p = case[4:]
    Z = conv2d(Tensor(X), Tensor(K), Tensor(b), stride=s, padding=p)
    np.testing.assert_allclose(Z.data, _conv_loops(X, K, b, s, p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_vjp_matches_central_differences(case):
    X, K, b, G = _conv_inputs(*case, seed=1)
    s, p = case[4:]
    ts = [Tensor(a, requires_grad=True) for a in (X, K, b)]
    (conv2d(*ts, stride=s, padding=p) * Tensor(G)).sum().backward()
    arrays = [X, K, b]
    for k in range(3):

        def cost(a, k=k):
            args = [a if j == k else arrays[j] for j in range(3)]
            return float(np.sum(G * _conv_loops(*args, s, p)))

        numeric = bp.numerical_jacobian(cost, arrays[k]).reshape(arrays[k].shape)
        assert bp.relative_error(ts[k].grad, numeric) < bp.GRADIENT_CHECK_TOLERANCE
        np.testing.assert_allclose(ts[k].grad, numeric, rtol=1e-6, atol=1e-8)  # tolerance: sums of 27 terms of size 1


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_vjp_matches_the_primitive_composition(case):
    X, K, b, G = _conv_inputs(*case, seed=2)
    s, p = case[4:]
    ts = [Tensor(a, requires_grad=True) for a in (X, K, b)]
    refs = [Tensor(a, requires_grad=True) for a in (X, K, b)]
    Z = conv2d(*ts, stride=s, padding=p)
    Z_ref = _conv_primitives(*refs, s, p)
    np.testing.assert_allclose(Z.data, Z_ref.data, rtol=1e-12, atol=1e-12)
    (Z * Tensor(G)).sum().backward()
    (Z_ref * Tensor(G)).sum().backward()
    for t, ref in zip(ts, refs):
        np.testing.assert_allclose(t.grad, ref.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_jvp_matches_central_differences_and_the_vjp(case):
    X, K, b, G = _conv_inputs(*case, seed=3)
    s, p = case[4:]
    rng = np.random.default_rng(4)
    tangents = [rng.normal(size=a.shape) for a in (X, K, b)]

    def f(X, K, b):
        return conv2d(X, K, b, stride=s, padding=p)

    _, tangent = jvp(f, [X, K, b], tangents)
    h = 1e-6
    up = _conv_loops(*(a + h * t for a, t in zip((X, K, b), tangents)), s, p)
    down = _conv_loops(*(a - h * t for a, t in zip((X, K, b), tangents)), s, p)
    np.testing.assert_allclose(tangent, (up - down) / (2 * h), rtol=1e-6, atol=1e-8)  # tolerance: as above
    _, pullback = vjp(f, X, K, b)
    cotangents = pullback(G)
    assert abs(np.sum(G * tangent) - sum(np.sum(c * t) for c, t in zip(cotangents, tangents))) < 1e-9


def test_conv_input_gradient_is_a_convolution_with_the_flipped_kernel():
    """Equation (CV3) with stride 1 and no padding, written out as a 'full' convolution sum."""
    X, K, _, G = _conv_inputs(5, 6, 3, 2, 1, 0, seed=5)
    Xt = Tensor(X, requires_grad=True)
    (conv2d(Xt, Tensor(K)) * Tensor(G)).sum().backward()
    kh, kw = K.shape[2:]
    full = np.zeros_like(X)
    for r, c, y, x in np.ndindex(X.shape):
        for o in range(K.shape[0]):
            for u in range(kh):
                for v in range(kw):
                    i, j = y - u, x - v  # Z[i, j] used X[y, x] with kernel entry (u, v)
                    if 0 <= i < G.shape[2] and 0 <= j < G.shape[3]:
                        full[r, c, y, x] += G[r, o, i, j] * K[o, c, u, v]
    np.testing.assert_allclose(Xt.grad, full, rtol=1e-12, atol=1e-12)


def _pool_loops(X, size, stride, reduce):
    h_out, w_out = (X.shape[2] - size) // stride + 1, (X.shape[3] - size) // stride + 1
    Y = np.empty(X.shape[:2] + (h_out, w_out))
    for r, c, i, j in np.ndindex(Y.shape):
        Y[r, c, i, j] = reduce(X[r, c, stride * i : stride * i + size, stride * j : stride * j + size])
    return Y


def _pool_primitives(X, size, stride, reduce):
    """Pooling from engine primitives: each window gathered by indexing into a last axis, then max or mean."""
    m, c, h, w = X.shape
    h_out, w_out = (h - size) // stride + 1, (w - size) // stride + 1
    r, ch, i, j, u, v = np.ix_(range(m), range(c), range(h_out), range(w_out), range(size), range(size))
    shape = (m, c, h_out, w_out, size, size)
    index = tuple(
        np.broadcast_to(a, shape).reshape(m, c, h_out, w_out, -1) for a in (r, ch, stride * i + u, stride * j + v)
    )
    windows = X[index]
    return windows.max(axis=-1) if reduce == "max" else windows.mean(axis=-1)


POOLS = {"max": (max_pool2d, np.max), "avg": (avg_pool2d, np.mean)}
POOL_CASES = [(6, 6, 2, None), (7, 7, 3, 2), (5, 7, 3, 1), (4, 6, 2, 2)]


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool_forward_and_vjp_against_loops_and_central_differences(kind, case):
    op, reduce = POOLS[kind]
    h, w, size, stride = case
    rng = np.random.default_rng(6)
    X = rng.permutation(2 * 3 * h * w).reshape(2, 3, h, w) / (2 * 3 * h * w)  # distinct: no ties nearby
    s = size if stride is None else stride
    G = rng.normal(size=_pool_loops(X, size, s, reduce).shape)
    Xt = Tensor(X, requires_grad=True)
    Y = op(Xt, size, stride)
    np.testing.assert_allclose(Y.data, _pool_loops(X, size, s, reduce), rtol=1e-15, atol=0)
    (Y * Tensor(G)).sum().backward()
    numeric = bp.numerical_jacobian(lambda a: float(np.sum(G * _pool_loops(a, size, s, reduce))), X).reshape(X.shape)
    assert bp.relative_error(Xt.grad, numeric) < bp.GRADIENT_CHECK_TOLERANCE
    np.testing.assert_allclose(Xt.grad, numeric, rtol=1e-6, atol=1e-9)
    ref = Tensor(X, requires_grad=True)
    Y_ref = _pool_primitives(ref, size, s, kind)
    np.testing.assert_allclose(Y.data, Y_ref.data, rtol=1e-15, atol=0)
    (Y_ref * Tensor(G)).sum().backward()
    np.testing.assert_allclose(Xt.grad, ref.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", POOLS)
def test_pool_jvp_matches_the_vjp(kind):
    op, _ = POOLS[kind]
    rng = np.random.default_rng(7)
    X = rng.permutation(2 * 2 * 7 * 7).reshape(2, 2, 7, 7) / 196.0
    t, G = rng.normal(size=X.shape), rng.normal(size=(2, 2, 3, 3))
    _, tangent = jvp(lambda x: op(x, 3, 2), [X], [t])
    h = 1e-6
    np.testing.assert_allclose(
        tangent, (op(Tensor(X + h * t), 3, 2).data - op(Tensor(X - h * t), 3, 2).data) / (2 * h), rtol=1e-6, atol=1e-9
    )
    _, pullback = vjp(lambda x: op(x, 3, 2), X)
    assert abs(np.sum(G * tangent) - np.sum(pullback(G)[0] * t)) < 1e-10


def test_max_pool_tie_sends_the_whole_gradient_to_the_first_maximum_in_reading_order():
    X = np.array([[[[1.0, 3.0, 0.0, 2.0], [3.0, 3.0, 2.0, 2.0], [0.0, 0.0, 5.0, 1.0], [0.0, 0.0, 1.0, 5.0]]]])
    Xt = Tensor(X, requires_grad=True)
    Y = max_pool2d(Xt, 2)
    (Y * Tensor(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))).sum().backward()
    expected = np.zeros((4, 4))
    expected[0, 1] = 10.0  # window 1 holds three 3s: the first in reading order is at (0, 1)
    expected[0, 3] = 20.0  # window 2 holds four 2s... no: 0, 2, 2, 2 -> the first 2 is at (0, 3)
    expected[0 + 2, 0] = 30.0  # window 3 is all zeros: the first entry, (2, 0)
    expected[2, 2] = 40.0  # window 4 holds two 5s: (2, 2) before (3, 3)
    np.testing.assert_array_equal(Xt.grad[0, 0], expected)


def test_max_pool_overlapping_windows_add_up_at_a_shared_maximum():
    X = np.zeros((1, 1, 3, 3))
    X[0, 0, 1, 1] = 1.0  # the centre is the maximum of all four 2x2 windows (stride 1)
    Xt = Tensor(X, requires_grad=True)
    max_pool2d(Xt, 2, stride=1).sum().backward()
    assert Xt.grad[0, 0, 1, 1] == 4.0 and np.count_nonzero(Xt.grad) == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: conv2d(Tensor(np.ones((1, 2, 5, 5))), Tensor(np.ones((3, 1, 3, 3)))), ValueError, "c_in"),
        (lambda: conv2d(Tensor(np.ones((2, 5, 5))), Tensor(np.ones((3, 1, 3, 3)))), ValueError, "X must have shape"),
        (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((3, 3, 3)))), ValueError, "K must have shape"),
        (lambda: conv2d(Tensor(np.ones((1, 1, 6, 6))), Tensor(np.ones((1, 1, 3, 3))), stride=2), ValueError, "tile"),
        (lambda: conv2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 3, 3)))), ValueError, "larger"),
        (
            lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((2, 1, 3, 3))), Tensor(np.ones(3))),
            ValueError,
            "b must",
        ),
        (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), stride=0), ValueError, "stride"),
        (
            lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), padding=-1),
            ValueError,
            "padding",
        ),
        (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), stride=1.0), TypeError, "stride"),
        (lambda: conv2d(np.ones((1, 1, 5, 5)), Tensor(np.ones((1, 1, 3, 3)))), TypeError, "X must be a Tensor"),
        (lambda: max_pool2d(Tensor(np.ones((1, 1, 5, 5))), 2), ValueError, "do not tile"),
        (lambda: avg_pool2d(Tensor(np.ones((1, 1, 7, 7))), 3, stride=3), ValueError, "do not tile"),
        (lambda: max_pool2d(Tensor(np.ones((1, 1, 2, 2))), 3), ValueError, "larger"),
        (lambda: avg_pool2d(Tensor(np.ones((1, 5, 5))), 2), ValueError, "X must have shape"),
        (lambda: max_pool2d(Tensor(np.ones((1, 1, 4, 4))), 0), ValueError, "size"),
    ],
    ids=[
        "channels",
        "X-rank",
        "K-rank",
        "conv-stride-tiles",
        "kernel-too-large",
        "bias-shape",
        "stride-zero",
        "padding-negative",
        "stride-float",
        "X-array",
        "max-pool-tiles",
        "avg-pool-tiles",
        "pool-too-large",
        "pool-rank",
        "pool-size-zero",
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_against_pytorch(case):
    torch = pytest.importorskip("torch")
    X, K, b, G = _conv_inputs(*case, seed=8)
    s, p = case[4:]
    ts = [Tensor(a, requires_grad=True) for a in (X, K, b)]
    Z = conv2d(*ts, stride=s, padding=p)
    (Z * Tensor(G)).sum().backward()
    tt = [torch.tensor(a, requires_grad=True) for a in (X, K, b)]
    tz = torch.nn.functional.conv2d(*tt, stride=s, padding=p)
    (tz * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(Z.data, tz.detach().numpy(), rtol=1e-12, atol=1e-12)
    for t, ref in zip(ts, tt):
        np.testing.assert_allclose(t.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("case", [*POOL_CASES, "ties"])
def test_pool_against_pytorch_ties_included(kind, case):
    torch = pytest.importorskip("torch")
    op, _ = POOLS[kind]
    rng = np.random.default_rng(9)
    if case == "ties":  # small integers: most windows hold a tied maximum
        h, w, size, stride = 6, 6, 2, None
        X = rng.integers(0, 3, size=(2, 2, h, w)).astype(float)
    else:
        h, w, size, stride = case
        X = rng.normal(size=(2, 2, h, w))
    Xt = Tensor(X, requires_grad=True)
    Y = op(Xt, size, stride)
    G = rng.normal(size=Y.shape)
    (Y * Tensor(G)).sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    pool = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    ty = pool(tx, size, stride)
    (ty * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(Y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Xt.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_hvp_through_conv_and_pooling_matches_differences_of_the_gradient():
    """The VJPs are written with engine operations, so forward mode runs through them (forward-over-reverse)."""
    from backprop_derived.autodiff import hvp

    rng = np.random.default_rng(10)
    X = rng.normal(size=(2, 1, 6, 6))
    K, b, v_K, v_b = (
        rng.normal(size=(2, 1, 3, 3)),
        rng.normal(size=2),
        rng.normal(size=(2, 1, 3, 3)),
        rng.normal(size=2),
    )
    W = Tensor(rng.normal(size=(2, 2, 2, 2)))

    def cost(K, b):
        Z = conv2d(Tensor(X), K, b, stride=1, padding=1)  # (2, 2, 6, 6)
        P = max_pool2d(Z, 3) + avg_pool2d(Z, 3)  # (2, 2, 2, 2)
        return (P * P * W).sum()

    got = hvp(cost, [K, b], [v_K, v_b])
    h = 1e-5

    def gradient(shift):
        _, pullback = vjp(cost, K + shift * v_K, b + shift * v_b)
        return pullback(np.ones(()))

    for g, want in zip(got, [(u - d) / (2 * h) for u, d in zip(gradient(h), gradient(-h))]):
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_conv_without_bias_jvp_and_vjp():
    rng = np.random.default_rng(11)
    X, K, G = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(1, 3, 3, 3))
    t_X, t_K = rng.normal(size=X.shape), rng.normal(size=K.shape)
    _, tangent = jvp(lambda x, k: conv2d(x, k), [X, K], [t_X, t_K])
    expected = _conv_loops(t_X, K, np.zeros(3), 1, 0) + _conv_loops(X, t_K, np.zeros(3), 1, 0)  # bilinear
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-12)
    _, pullback = vjp(lambda x, k: conv2d(x, k), X, K)
    c_X, c_K = pullback(G)
    assert abs(np.sum(G * tangent) - np.sum(c_X * t_X) - np.sum(c_K * t_K)) < 1e-10
