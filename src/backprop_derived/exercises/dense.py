"""Exercises on the dense network of the derivation: the softmax VJP, the output delta, the hidden
delta, and a dense layer's gradients for a batch."""

from __future__ import annotations

import numpy as np

from ..activations import log_softmax
from ._base import Case, Exercise, Mistake, away_from_zero, softmax, vjp_numeric


# softmax_vjp ------------------------------------------------------------------------------------
def _softmax_vjp(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    return a * (g - np.sum(g * a, axis=1, keepdims=True))


def _softmax_vjp_cases() -> list[Case]:
    cases = []
    for seed, (m, n) in zip((1, 2, 3), ((4, 3), (2, 5), (6, 4))):
        rng = np.random.default_rng(seed)
        z, g = rng.normal(size=(m, n)), rng.normal(size=(m, n))
        cases.append(
            Case(f"m={m}, n={n}, seed {seed}", {"a": softmax(z), "g": g}, {"z": z}, {"m": (m, "the batch size m")})
        )
    return cases


def _softmax_vjp_numeric(case: Case) -> tuple[np.ndarray, ...]:
    return vjp_numeric(softmax, case.inputs["g"], {"z": case.hidden["z"]}, ("z",))


SOFTMAX_VJP = Exercise(
    name="softmax_vjp",
    statement="The softmax's vector-Jacobian product g J, row by row, without building J.",
    page="autodiff/vjp.md#the-softmax-vjp-without-its-jacobian",
    params=("a", "g"),
    outputs=("dz",),
    docstring="""Return g times the softmax Jacobian, for each row of a batch.

    a: (m, n) softmax outputs, a = softmax(z) row by row (each row sums to 1)
    g: (m, n) the incoming gradient dC/da
    returns dz: (m, n), row r is g[r] @ J_r, where J_r = diag(a[r]) - a[r]^T a[r] is the
         Jacobian of the softmax at row r (do not build it: about 3n operations per row suffice)""",
    equation='the one displayed under "The softmax VJP without its Jacobian"',
    reference=_softmax_vjp,
    numeric=_softmax_vjp_numeric,
    cases=_softmax_vjp_cases,
    mistakes=(
        Mistake(
            "dz",
            "only the diagonal of the softmax Jacobian, a * (1 - a), was used: the paths from z_c "
            "through the other outputs a_k (k != c), with da_k/dz_c = -a_k a_c, are missing",
            lambda a, g: g * a * (1 - a),
        ),
        Mistake(
            "dz",
            "wrong axis summed: g a^T is a sum over the classes of each row (axis 1), "
            "and yours summed over the batch (axis 0)",
            lambda a, g: a * (g - np.sum(g * a, axis=0, keepdims=True)),
        ),
        Mistake(
            "dz",
            "sign flipped on the second term: the off-diagonal entries of the Jacobian are "
            "-a_k a_c, so the VJP is a * (g - g a^T), not a * (g + g a^T)",
            lambda a, g: a * (g + np.sum(g * a, axis=1, keepdims=True)),
        ),
        Mistake(
            "dz",
            "the factor a is missing: g (diag(a) - a^T a) = a * (g - g a^T)",
            lambda a, g: g - np.sum(g * a, axis=1, keepdims=True),
        ),
    ),
)


# output_delta ----------------------------------------------------------------------------------
def _output_delta(z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return (softmax(z) - Y) / z.shape[0]


def _output_delta_cases() -> list[Case]:
    cases = []
    for seed, (m, n), eps in zip((4, 5, 6), ((4, 3), (5, 3), (3, 4)), (0.1, 0.0, 0.2)):
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(m, n))
        onehot = np.eye(n)[rng.integers(0, n, size=m)]
        Y = (1 - eps) * onehot + eps / n  # label smoothing; eps = 0 gives one-hot targets
        cases.append(
            Case(
                f"m={m}, n={n}, label smoothing {eps}, seed {seed}",
                {"z": z, "Y": Y},
                {},
                {"m": (m, "the batch size m")},
            )
        )
    # Logits in the hundreds: exp overflows (row 1) or underflows to 0 in every entry (row 2) unless
    # the row's maximum is subtracted first; in row 3 the true class leads by 40, so a_t rounds to 1.
    rng = np.random.default_rng(10)
    z = rng.normal(size=(4, 3)) + np.array([[750.0], [-800.0], [0.0], [0.0]])
    labels = rng.integers(0, 3, size=4)
    z[2, labels[2]] += 40.0
    label = "m=4, n=3, logits near +750 and -800 and a lead of 40, seed 10"
    cases.append(Case(label, {"z": z, "Y": np.eye(3)[labels]}, {}, {"m": (4, "the batch size m")}))
    return cases


def _output_delta_numeric(case: Case) -> tuple[np.ndarray, ...]:
    from ..jacobians import numerical_jacobian

    z, Y = case.inputs["z"], case.inputs["Y"]
    cost = lambda z_: -np.sum(Y * log_softmax(z_)) / z_.shape[0]  # noqa: E731 - the mean cross-entropy
    return (numerical_jacobian(cost, z).reshape(z.shape),)


OUTPUT_DELTA = Exercise(
    name="output_delta",
    statement="The output layer's delta dC/dZ_L for a softmax output and the mean cross-entropy of a batch.",
    page="output-layer-assembled.md#step-4",
    params=("z", "Y"),
    outputs=("delta",),
    docstring="""Return Delta_L = dC/dZ_L for a softmax output layer and the cross-entropy, averaged over a batch.

    The cost is C = -(1/m) sum_r sum_k Y[r, k] log a[r, k], with a = softmax(z) row by row.

    z: (m, n) the output layer's pre-activations, one row per observation
    Y: (m, n) targets, each row sums to 1 (one-hot, or label-smoothed)
    returns delta: (m, n), entry [r, c] = dC/dz[r, c]""",
    equation='dC/dz_L of "IV. Putting the links together" (a batch\'s mean cost: the page "Batches")',
    reference=_output_delta,
    numeric=_output_delta_numeric,
    cases=_output_delta_cases,
    mistakes=(
        Mistake(
            "delta",
            "off by a factor m = {m} (the batch size): the cost is the mean over the m rows, "
            "so Delta_L = (A_L - Y) / m",
            lambda z, Y: softmax(z) - Y,
        ),
        Mistake(
            "delta",
            "sign flipped: C = -sum y log a, so Delta_L = (A_L - Y) / m, not (Y - A_L) / m",
            lambda z, Y: (Y - softmax(z)) / z.shape[0],
        ),
        Mistake(
            "delta",
            "this is dC/dA_L = -Y / (m A_L), the derivative with respect to the softmax's output; "
            "the exercise asks for dC/dZ_L, one step further back, through the softmax",
            lambda z, Y: -Y / softmax(z) / z.shape[0],
        ),
        Mistake(
            "delta",
            "multiplied by a * (1 - a), the diagonal of the softmax Jacobian, as for a sigmoid: "
            "with the cross-entropy the full softmax Jacobian collapses to A_L - Y, with no such factor",
            lambda z, Y: (softmax(z) - Y) * softmax(z) * (1 - softmax(z)) / z.shape[0],
        ),
        Mistake(
            "delta",
            "the targets were replaced by one-hot vectors of their largest entry: with soft "
            "targets (label smoothing) Delta_L = (A_L - Y) / m uses Y as it is",
            lambda z, Y: (softmax(z) - np.eye(Y.shape[1])[Y.argmax(axis=1)]) / z.shape[0],
        ),
    ),
)


# hidden_delta ----------------------------------------------------------------------------------
def _hidden_delta(delta_next: np.ndarray, W_next: np.ndarray, z: np.ndarray) -> np.ndarray:
    return (delta_next @ W_next) * (z > 0)


def _hidden_delta_cases() -> list[Case]:
    cases = []
    for seed, (m, n_next, n) in zip((7, 8, 9), ((4, 3, 5), (3, 5, 5), (5, 2, 3))):
        rng = np.random.default_rng(seed)
        inputs = {
            "delta_next": rng.normal(size=(m, n_next)),
            "W_next": rng.normal(size=(n_next, n)),
            "z": away_from_zero(rng, (m, n)),
        }
        cases.append(Case(f"m={m}, n_next={n_next}, n={n}, seed {seed}", inputs, {}, {"m": (m, "the batch size m")}))
    return cases


def _hidden_delta_numeric(case: Case) -> tuple[np.ndarray, ...]:
    W = case.inputs["W_next"]
    forward = lambda z: np.maximum(z, 0) @ W.T  # noqa: E731 - z_l as a function of z_(l-1)
    return vjp_numeric(forward, case.inputs["delta_next"], {"z": case.inputs["z"]}, ("z",))


HIDDEN_DELTA = Exercise(
    name="hidden_delta",
    statement="One step of the recursion: a ReLU hidden layer's delta from the delta of the layer above.",
    page="hidden-layer.md#recursion",
    params=("delta_next", "W_next", "z"),
    outputs=("delta",),
    docstring="""Return Delta_{l-1} = dC/dZ_{l-1} for a ReLU layer l-1, given the layer l above it.

    Layer l computes Z_l = A_{l-1} W_l^T + b_l with A_{l-1} = relu(Z_{l-1}).

    delta_next: (m, n_next) Delta_l = dC/dZ_l
    W_next: (n_next, n) W_l, the weights of layer l, shape (neurons, inputs)
    z: (m, n) Z_{l-1}, the pre-activations of layer l-1 (never exactly 0 here)
    returns delta: (m, n) Delta_{l-1}""",
    equation='the first line of (H5) under "The recursion, for any depth"',
    reference=_hidden_delta,
    numeric=_hidden_delta_numeric,
    cases=_hidden_delta_cases,
    mistakes=(
        Mistake(
            "delta",
            "the factor relu'(z) = [z > 0] is missing: the gradient passes only where z > 0",
            lambda delta_next, W_next, z: delta_next @ W_next,
        ),
        Mistake(
            "delta",
            "multiplied by relu(z) itself instead of its derivative [z > 0]",
            lambda delta_next, W_next, z: (delta_next @ W_next) * np.maximum(z, 0),
        ),
        Mistake(
            "delta",
            "transposed: multiplied by W_next^T where W_next belongs (W has shape "
            "(neurons, inputs), so Delta_{l+1} W_{l+1} has layer l's width)",
            lambda delta_next, W_next, z: (delta_next @ W_next.T) * (z > 0),
        ),
        Mistake(
            "delta",
            "the ReLU's mask is inverted: the gradient passes where z > 0, and is 0 where z < 0",
            lambda delta_next, W_next, z: (delta_next @ W_next) * (z < 0),
        ),
    ),
)


# dense_batch_grads ------------------------------------------------------------------------------
def _dense_batch_grads(delta: np.ndarray, a_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return delta.T @ a_prev, delta.sum(axis=0)


def _dense_batch_grads_cases() -> list[Case]:
    cases = []
    for seed, (m, n, n_prev) in zip((10, 11, 12), ((4, 3, 5), (6, 5, 2), (3, 2, 4))):
        rng = np.random.default_rng(seed)
        inputs = {"delta": rng.normal(size=(m, n)), "a_prev": rng.normal(size=(m, n_prev))}
        hidden = {"W": rng.normal(size=(n, n_prev)), "b": rng.normal(size=n)}
        cases.append(
            Case(f"m={m}, n={n}, n_prev={n_prev}, seed {seed}", inputs, hidden, {"m": (m, "the batch size m")})
        )
    return cases


def _dense_batch_grads_numeric(case: Case) -> tuple[np.ndarray, ...]:
    a_prev = case.inputs["a_prev"]
    forward = lambda W, b: a_prev @ W.T + b  # noqa: E731 - Z_l = A_{l-1} W_l^T + b_l
    return vjp_numeric(forward, case.inputs["delta"], case.hidden, ("W", "b"))


DENSE_BATCH_GRADS = Exercise(
    name="dense_batch_grads",
    statement="A dense layer's dC/dW and dC/db for a batch, from its delta and its input.",
    page="batches.md#the-matrix-product-sums-outer-products",
    params=("delta", "a_prev"),
    outputs=("dW", "db"),
    docstring="""Return (dW, db), the gradients of a dense layer Z_l = A_{l-1} W_l^T + b_l for a batch.

    delta: (m, n) Delta_l = dC/dZ_l; it already holds the 1/m of the batch's mean cost
    a_prev: (m, n_prev) A_{l-1}, the layer's input
    returns dW: (n, n_prev) dC/dW_l, the shape of W_l (neurons, inputs)
            db: (n,) dC/db_l""",
    equation='the pair displayed under "The matrix product sums outer products"',
    reference=_dense_batch_grads,
    numeric=_dense_batch_grads_numeric,
    cases=_dense_batch_grads_cases,
    mistakes=(
        Mistake(
            "dW",
            "transposed: A_{l-1}^T Delta_l has shape (inputs, neurons); dC/dW_l = Delta_l^T A_{l-1} "
            "has the shape of W_l",
            lambda delta, a_prev: a_prev.T @ delta,
        ),
        Mistake(
            "dW",
            "divided by the batch size m = {m} a second time: Delta_l already holds the 1/m of the mean cost",
            lambda delta, a_prev: delta.T @ a_prev / delta.shape[0],
        ),
        Mistake(
            "dW",
            "only the first observation's outer product: the matrix product Delta^T A sums all m of them",
            lambda delta, a_prev: np.outer(delta[0], a_prev[0]),
        ),
        Mistake(
            "db",
            "divided by the batch size m = {m} a second time (a mean over the batch instead of a sum): "
            "Delta_l already holds the 1/m of the mean cost",
            lambda delta, a_prev: delta.mean(axis=0),
        ),
        Mistake(
            "db",
            "wrong axis summed: db sums over the batch (axis 0), one entry per neuron; yours summed "
            "over the neurons (axis 1)",
            lambda delta, a_prev: delta.sum(axis=1),
        ),
    ),
)
