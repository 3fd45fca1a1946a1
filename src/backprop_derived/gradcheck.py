"""Checking backpropagation against central differences of the cost.

``relative_error(g, n) = ||g - n|| / (||g|| + ||n||)`` for a whole parameter array: scale-free,
0 for a perfect match, 1 when one of the two is zero and the other is not. A per-entry ratio would
blow up on entries that are tiny in both (a dead ReLU, say); the array norm does not.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_batch, finite, float_array, matching_targets, positive_number
from .jacobians import numerical_jacobian
from .network import Network

TOLERANCE = 1e-7
"""The one gradient-check threshold, on the relative error ``||g - n|| / (||g|| + ||n||)``.

Exported as ``backprop_derived.GRADIENT_CHECK_TOLERANCE``. On the site's examples a correct float64
gradient of a shallow network, checked away from any ReLU kink, comes out near 1e-10 or below, and
the three wrong ones on that page (a forgotten ``1/m``, a missing path, a diagonal softmax Jacobian)
above 0.3; that is what those examples show, not a guarantee: a wrong formula can agree with central
differences at the points sampled. The condition: every checked array must be large against the
central difference's round-off floor ``eps * |C| / h``; the first layers of a deep network can fail
it while correct (see the page "Checking gradients").
"""

CENTRAL_DIFFERENCE_RTOL = 1e-6
"""The site's relative tolerance for an analytic derivative against central differences (float64).

Used as the ``rtol`` of ``np.testing.assert_allclose(analytic, numeric, ...)``, beside
``atol=CENTRAL_DIFFERENCE_ATOL``, or tighter. It holds for both default steps of the package,
``h = 1e-6`` (``numerical_jacobian``) and ``h = 1e-5`` (``numerical_gradients``,
``gradient_check``): for the site's float64 costs of order one, the truncation error (of order
``h**2`` times a third derivative) and the round-off (of order ``eps * |C| / h``, with
``eps`` = 2.2e-16: about 2e-10 at ``h = 1e-6`` and 2e-11 at ``h = 1e-5`` when ``|C|`` is 1) are
both far below it. ``backprop_derived.page_checks`` fails a page whose check is looser without a
``# tolerance: <why>`` comment.

The rule is for first differences (of a cost, or of a gradient). A second difference of the cost,
``(C(x + h) - 2 C(x) + C(x - h)) / h**2``, has a round-off of order ``4 * eps * |C| / h**2``:
about 1e-7 at ``h = 1e-4`` but 1e-5 at ``h = 1e-5`` when ``|C|`` is 1, so it meets this ``rtol``
only with a larger step, and a check that applies it to a second difference says why in a
``# tolerance:`` comment.
"""

CENTRAL_DIFFERENCE_ATOL = 1e-9
"""The site's absolute tolerance beside ``CENTRAL_DIFFERENCE_RTOL``, for entries near zero.

``np.testing.assert_allclose`` passes when ``|analytic - numeric| <= atol + rtol * |numeric|``,
so this bound matters only for entries below about ``atol / rtol`` = 1e-3. It sits above the central
differences' round-off, of order ``eps * |C| / h``: about ``2e-10 * |C|`` at ``h = 1e-6`` and
``2e-11 * |C|`` at ``h = 1e-5``. So it covers the round-off at ``h = 1e-6`` only while ``|C|`` is
below about 4.5 (about 45 at ``h = 1e-5``); for a larger cost, scale ``atol`` by ``|C|``. At a
smaller step, such as ``h = 1e-7``, the round-off exceeds ``atol`` and only the ``rtol`` term covers
it: assert that ``eps * |C| / h < rtol * |derivative|`` for each entry checked. (A partial
that is exactly zero, such as a weight of a unit that is off, usually gives an exactly zero
difference, since the nudge changes nothing.)
"""


def relative_error(g: ArrayLike, n: ArrayLike) -> float:
    """``||g - n|| / (||g|| + ||n||)`` over whole arrays of the same shape (0 when both are all zeros).

    Both must be finite: a NaN would make the error NaN, which compares false with any threshold.
    """
    g, n = finite(float_array(g, "g"), "g"), finite(float_array(n, "n"), "n")
    if g.shape != n.shape:
        raise ValueError(f"g and n must have the same shape; got {g.shape} and {n.shape}")
    denom = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - n) / denom)


def numerical_gradients(
    net: Network, X: ArrayLike, Y: ArrayLike, h: float = 1e-5
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``dC/dW_l`` and ``dC/db_l`` by central differences, nudging one parameter at a time by ``+-h``.

    ``X`` (m, n_inputs), ``Y`` (m, n_outputs); returns one pair per layer, shapes ``(W_l, b_l)``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop_derived.Network; got {type(net).__name__}")
    h = positive_number(h, "h")
    X = as_batch(X, net.sizes[0], "X")
    Y = matching_targets(Y, X.shape[0], net.sizes[-1])
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for layer in net.layers:
        pair: list[np.ndarray] = []
        for p in (layer.W, layer.b):
            saved = p.copy()

            def cost(values: np.ndarray, p: np.ndarray = p) -> float:
                p[...] = values  # write into the network's own array, so forward sees the nudge
                return net.cost(X, Y)

            try:
                pair.append(numerical_jacobian(cost, saved, h).reshape(p.shape))
            finally:
                p[...] = saved
        out.append((pair[0], pair[1]))
    return out


def gradient_check(
    net: Network,
    X: ArrayLike,
    Y: ArrayLike,
    grads: list[tuple[np.ndarray, np.ndarray]] | None = None,
    h: float = 1e-5,
) -> float:
    """The largest ``relative_error`` between ``grads`` and central differences, over all W and b.

    ``grads`` defaults to ``net.gradients(X, Y)``; pass your own list of ``(dC/dW, dC/db)`` pairs to
    check a gradient computed some other way. Compare the result with
    ``backprop_derived.GRADIENT_CHECK_TOLERANCE`` (1e-7): a correct float64 gradient stays below it,
    unless a ``+-h`` nudge crosses a ReLU kink, round-off reaches the threshold, or the truncation
    error ``h**2 * C''' / 6`` does (large logits, a saturated output). Before suspecting the
    gradient, vary ``h`` both ways: a truncation error falls as ``h**2`` when ``h`` shrinks,
    round-off grows as ``1/h``, a kink's error vanishes once ``h`` is below the distance to it, and
    a real bug stays put.

    The kink: nudging ``W_l[i, j]`` by ``h`` moves ``z_l[i]`` by ``h * a_prev[j]``, and nudging
    ``b_l[i]`` moves it by ``h``. With **one** hidden ReLU layer, no nudge crosses a kink while
    every ``|z|`` of that layer is above ``h * max(1, max|a_prev|)``. With two or more, a nudge of
    an earlier layer also moves every later ``z``, through the weights in between, by an amount
    this margin does not bound (a later weight of 10 turns a move of ``h * a_prev[j]`` into ten
    times that): there, when the check fails, shrink ``h`` and check again before suspecting the
    gradient.

    The round-off: the finite differences' floor ``eps * |C| / h`` gives an array ``g`` of ``n``
    entries a relative error of order ``eps * |C| / h * sqrt(n) / ||g||``, which must stay well
    below ``GRADIENT_CHECK_TOLERANCE`` (it does not in the first layers of a deep network; see the page
    "Checking gradients").
    """
    if grads is None:
        grads = net.gradients(X, Y)
    if len(grads) != net.L:
        raise ValueError(f"grads must hold one (dC/dW, dC/db) pair per layer ({net.L}); got {len(grads)}")
    numeric = numerical_gradients(net, X, Y, h)
    return max(relative_error(g, n) for pair, num_pair in zip(grads, numeric) for g, n in zip(pair, num_pair))
