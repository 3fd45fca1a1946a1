"""The graded exercises (``python -m backprop_derived.exercises``).

Every reference solution passes and agrees with central differences of its own forward function;
wrong solutions written the way a reader would write them (at least three per exercise, each a
mistake the pages warn about) fail with the diagnosis that names that mistake; solutions written
differently from the reference but right pass; bad files get a message and never a traceback;
``start`` never overwrites a file without ``--force``. The commands from the built wheel are tested
in tests/test_release.py, next to the wheel they need.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import backprop_derived as bp
from backprop_derived.exercises import EXERCISES, SITE_URL, get_exercise, grade
from backprop_derived.exercises.__main__ import DEFAULT_TIMEOUT, main
from conftest import DOCS, ROOT

LAYOUT_NAMES = [
    "softmax_vjp", "output_delta", "hidden_delta", "dense_batch_grads", "chain_rule_direct_term",
    "central_difference", "batchnorm_backward", "layernorm_backward", "conv2d_backward", "maxpool_backward",
    "attention_backward", "rnn_bptt", "jvp_dense", "hvp_quadratic",
]  # fmt: skip
PLANNED_PAGES = {
    "beyond/batch-norm.md", "beyond/layer-norm.md", "beyond/convolution.md", "beyond/pooling.md", "beyond/attention.md",
    "beyond/bptt.md", "autodiff/forward-reverse.md", "autodiff/second-derivatives.md",
}  # fmt: skip


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# Solutions a reader might write: (exercise, function, the diagnosis expected, or None for a right answer).
# Each is written independently of the grader's reference and of its signatures.
def vjp_diagonal(a, g):
    return g * a * (1 - a)


def vjp_axis0(a, g):
    return a * (g - (g * a).sum(axis=0))


def vjp_sign(a, g):
    return a * (g + (g * a).sum(axis=1, keepdims=True))


def vjp_by_jacobian(a, g):  # right: the Jacobian of each row, built and multiplied
    return np.stack([g[r] @ (np.diag(a[r]) - np.outer(a[r], a[r])) for r in range(len(a))])


def delta_no_mean(z, Y):
    return softmax(z) - Y


def delta_sign(z, Y):
    return (Y - softmax(z)) / len(z)


def delta_wrt_a(z, Y):
    return -Y / softmax(z) / len(z)


def delta_by_paths(z, Y):  # right: the sum over the paths through every a_k, row by row
    a, m = softmax(z), len(z)
    out = np.zeros_like(z)
    for r in range(m):
        for c in range(z.shape[1]):
            out[r, c] = sum(-Y[r, k] / a[r, k] * a[r, k] * ((k == c) - a[r, c]) for k in range(z.shape[1])) / m
    return out


def hidden_no_derivative(delta_next, W_next, z):
    return delta_next @ W_next


def hidden_relu_value(delta_next, W_next, z):
    return (delta_next @ W_next) * np.maximum(z, 0)


def hidden_inverted(delta_next, W_next, z):
    return np.where(z > 0, 0.0, delta_next @ W_next)


def hidden_loops(delta_next, W_next, z):  # right: the sum over the paths through each neuron above
    m, n = z.shape
    return np.array([[sum(delta_next[r, i] * W_next[i, j] for i in range(len(W_next))) * (z[r, j] > 0)
                      for j in range(n)] for r in range(m)])  # fmt: skip


def dense_transposed(delta, a_prev):
    return a_prev.T @ delta, delta.sum(axis=0)


def dense_mean_again(delta, a_prev):
    return delta.T @ a_prev / len(delta), delta.sum(axis=0) / len(delta)


def dense_axis1(delta, a_prev):
    return delta.T @ a_prev, delta.sum(axis=1)


def dense_outer_products(delta, a_prev):  # right: the sum of one outer product per observation
    return sum(np.outer(d, a) for d, a in zip(delta, a_prev)), sum(delta)


def chain_path_only(t, W, b):
    x = np.tanh(t @ W.T + b)
    return (t * (1 - x**2)) @ W


def chain_direct_only(t, W, b):
    return np.tanh(t @ W.T + b)


def chain_transposed(t, W, b):
    x = np.tanh(t @ W.T + b)
    return x + W @ (t * (1 - x**2))


def chain_jacobian(t, W, b):  # right: the Jacobian dx/dt built, then the two terms
    x = np.tanh(t @ W.T + b)
    dx_dt = np.diag(1 - x**2) @ W
    return x + t @ dx_dt


def cd_forward(f, x, h):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        g[i] = (f(x + step) - f(x)) / h
    return g


def cd_over_h(f, x, h):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        g[i] = (f(x + step) - f(x - step)) / h
    return g


def cd_all_at_once(f, x, h):
    return np.ones_like(x) * (f(x + h) - f(x - h)) / (2 * h)


def cd_not_restored(f, x, h):
    g = np.zeros_like(x)
    flat, out = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        flat[i] += h
        up = f(x)
        flat[i] -= 2 * h
        out[i] = (up - f(x)) / (2 * h)  # x[i] is left h too low
    return g


def cd_in_place_restored(f, x, h):  # right: perturb in place, put the entry back exactly
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + h
        up = f(x)
        x[i] = keep - h
        down = f(x)
        x[i] = keep
        g[i] = (up - down) / (2 * h)
    return g


def jvp_bias(x, v, W1, b1, W2, b2):
    a = np.tanh(x @ W1.T + b1)
    return ((v @ W1.T + b1) * (1 - a**2)) @ W2.T + b2


def jvp_no_derivative(x, v, W1, b1, W2, b2):
    return v @ W1.T @ W2.T


def jvp_at_z(x, v, W1, b1, W2, b2):
    z = x @ W1.T + b1
    return ((v @ W1.T) * (1 - z**2)) @ W2.T


def jvp_jacobian(x, v, W1, b1, W2, b2):  # right: each row's Jacobian, then J v
    out = []
    for xr, vr in zip(x, v):
        a = np.tanh(W1 @ xr + b1)
        out.append(W2 @ np.diag(1 - a**2) @ W1 @ vr)
    return np.array(out)


def hvp_a(A, b, w, v):
    return v @ A


def hvp_twice(A, b, w, v):
    return (A + A.T) @ v


def hvp_gradient(A, b, w, v):
    return 0.5 * (A + A.T) @ w + b


def hvp_entries(A, b, w, v):  # right: H_ij = (A_ij + A_ji) / 2, then sum_i v_i H_ij
    n = len(v)
    return np.array([sum(v[i] * (A[i, j] + A[j, i]) / 2 for i in range(n)) for j in range(n)])


def _staged_norm(G, X, gamma, eps, axis, mean_path=True, var_path=True):
    """The classic staged backward pass of a normalisation (x_hat, then var, then mu), paths optional."""
    n = X.shape[axis]
    mu = X.mean(axis=axis, keepdims=True)
    var = ((X - mu) ** 2).mean(axis=axis, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    dxhat = G * gamma
    dvar = (dxhat * (X - mu) * -0.5 * inv**3).sum(axis=axis, keepdims=True)
    dmu = (-dxhat * inv).sum(axis=axis, keepdims=True) + dvar * (-2 * (X - mu)).mean(axis=axis, keepdims=True)
    dX = dxhat * inv + (var_path * dvar * 2 * (X - mu) / n) + (mean_path * dmu / n)
    xhat = (X - mu) * inv
    return dX, (G * xhat).sum(axis=0), G.sum(axis=0)


def bn_right(G, X, gamma, eps):
    return _staged_norm(G, X, gamma, eps, 0)


def bn_constants(G, X, gamma, eps):
    return _staged_norm(G, X, gamma, eps, 0, mean_path=False, var_path=False)


def bn_no_mean_path(G, X, gamma, eps):
    return _staged_norm(G, X, gamma, eps, 0, mean_path=False)


def bn_layer_axis(G, X, gamma, eps):
    dX, _, _ = _staged_norm(G, X, gamma, eps, 1)
    _, dgamma, dbeta = _staged_norm(G, X, gamma, eps, 0)
    return dX, dgamma, dbeta


def bn_dbeta_mean(G, X, gamma, eps):
    dX, dgamma, _ = _staged_norm(G, X, gamma, eps, 0)
    return dX, dgamma, G.mean(axis=0)


def ln_right(G, X, gamma, eps):
    return _staged_norm(G, X, gamma, eps, 1)


def ln_batch_axis(G, X, gamma, eps):
    dX, _, _ = _staged_norm(G, X, gamma, eps, 0)
    _, dgamma, dbeta = _staged_norm(G, X, gamma, eps, 1)
    return dX, dgamma, dbeta


def ln_no_mean_path(G, X, gamma, eps):
    return _staged_norm(G, X, gamma, eps, 1, mean_path=False)


def ln_dgamma_axis1(G, X, gamma, eps):
    dX, _, dbeta = _staged_norm(G, X, gamma, eps, 1)
    xhat = (X - X.mean(axis=1, keepdims=True)) / np.sqrt(X.var(axis=1, keepdims=True) + eps)
    return dX, (G * xhat).sum(axis=1), dbeta


def _conv_loops(G, X, K, flip=False, mean=False, db_axes=(0, 2, 3)):
    m, _, oh, ow = G.shape
    kh, kw = K.shape[2:]
    K = K[:, :, ::-1, ::-1] if flip else K
    dX, dK = np.zeros_like(X), np.zeros_like(K)
    for r in range(m):
        for i in range(oh):
            for j in range(ow):
                dX[r, :, i : i + kh, j : j + kw] += np.einsum("o,ocpq->cpq", G[r, :, i, j], K)
                dK += np.einsum("o,cpq->ocpq", G[r, :, i, j], X[r, :, i : i + kh, j : j + kw])
    return dX, dK / m if mean else dK, G.sum(axis=db_axes)


def conv_right(G, X, K):
    return _conv_loops(G, X, K)


def conv_flipped(G, X, K):
    return _conv_loops(G, X, K, flip=True)


def conv_db_batch_only(G, X, K):
    return _conv_loops(G, X, K, db_axes=0)


def conv_dW_mean(G, X, K):
    return _conv_loops(G, X, K, mean=True)


def _pool_loops(G, X, k, rule):
    dX = np.zeros_like(X)
    m, c, oh, ow = G.shape
    for r, ch, i, j in np.ndindex(m, c, oh, ow):
        window = X[r, ch, i * k : (i + 1) * k, j * k : (j + 1) * k]
        if rule == "max":
            p, q = np.unravel_index(window.argmax(), window.shape)
            dX[r, ch, i * k + p, j * k + q] = G[r, ch, i, j]
        elif rule == "average":
            dX[r, ch, i * k : (i + 1) * k, j * k : (j + 1) * k] = G[r, ch, i, j] / k**2
        elif rule == "copy":
            dX[r, ch, i * k : (i + 1) * k, j * k : (j + 1) * k] = G[r, ch, i, j]
        else:
            dX[r, ch, i * k, j * k] = G[r, ch, i, j]
    return dX


def pool_right(G, X, k):
    return _pool_loops(G, X, k, "max")


def pool_average(G, X, k):
    return _pool_loops(G, X, k, "average")


def pool_copy(G, X, k):
    return _pool_loops(G, X, k, "copy")


def pool_first(G, X, k):
    return _pool_loops(G, X, k, "first")


def _attention_rows(G, Q, K, V, scale=True, diagonal=False, axis0=False):
    d = Q.shape[1]
    s = 1 / np.sqrt(d) if scale else 1.0
    P = softmax(Q @ K.T / np.sqrt(d))
    dP = G @ V.T
    if axis0:
        dS = P * (dP - (dP * P).sum(axis=0))
    else:  # each row through its own softmax Jacobian, built (or its diagonal only)
        jacobians = [np.diag(p * (1 - p)) if diagonal else np.diag(p) - np.outer(p, p) for p in P]
        dS = np.stack([dP[r] @ J for r, J in enumerate(jacobians)])
    return dS @ K * s, dS.T @ Q * s, P.T @ G


def attention_right(G, Q, K, V):
    return _attention_rows(G, Q, K, V)


def attention_unscaled(G, Q, K, V):
    return _attention_rows(G, Q, K, V, scale=False)


def attention_diagonal(G, Q, K, V):
    return _attention_rows(G, Q, K, V, diagonal=True)


def attention_axis0(G, Q, K, V):
    return _attention_rows(G, Q, K, V, axis0=True)


def _rnn_steps(G, X, h0, W_x, W_h, b, carry=True, tanh_first=True, dW_h_current=False):
    """One sequence at a time, the states in a list: h[t] is the text's h_t, h[0] = h_0."""
    dW_x, dW_h, db = 0 * W_x, 0 * W_h, 0 * b
    for g, x, h_start in zip(G, X, h0):
        h = [h_start]
        for x_t in x:
            h.append(np.tanh(W_x @ x_t + W_h @ h[-1] + b))
        from_later = 0 * h_start
        for t in range(len(x), 0, -1):
            if tanh_first:
                delta = (g[t - 1] + from_later) * (1 - h[t] ** 2)
            else:
                delta = g[t - 1] * (1 - h[t] ** 2) + from_later
            dW_x = dW_x + np.outer(delta, x[t - 1])
            dW_h = dW_h + np.outer(delta, h[t] if dW_h_current else h[t - 1])
            db = db + delta
            from_later = W_h.T @ delta if carry else 0 * h_start
    return dW_x, dW_h, db


def rnn_right(G, X, h0, W_x, W_h, b):
    return _rnn_steps(G, X, h0, W_x, W_h, b)


def rnn_truncated(G, X, h0, W_x, W_h, b):
    return _rnn_steps(G, X, h0, W_x, W_h, b, carry=False)


def rnn_carry_after_tanh(G, X, h0, W_x, W_h, b):
    return _rnn_steps(G, X, h0, W_x, W_h, b, tanh_first=False)


def rnn_dW_h_current(G, X, h0, W_x, W_h, b):
    return _rnn_steps(G, X, h0, W_x, W_h, b, dW_h_current=True)


SOLUTIONS = [
    ("softmax_vjp", vjp_by_jacobian, None),
    ("softmax_vjp", vjp_diagonal, "only the diagonal of the softmax Jacobian"),
    ("softmax_vjp", vjp_axis0, "wrong axis summed"),
    ("softmax_vjp", vjp_sign, "sign flipped"),
    ("output_delta", delta_by_paths, None),
    ("output_delta", delta_no_mean, "off by a factor m = "),
    ("output_delta", delta_sign, "sign flipped"),
    ("output_delta", delta_wrt_a, "this is dC/dA_L"),
    ("hidden_delta", hidden_loops, None),
    ("hidden_delta", hidden_no_derivative, "the factor relu'(z) = [z > 0] is missing"),
    ("hidden_delta", hidden_relu_value, "multiplied by relu(z) itself"),
    ("hidden_delta", hidden_inverted, "mask is inverted"),
    ("dense_batch_grads", dense_outer_products, None),
    ("dense_batch_grads", dense_transposed, "transposed"),
    ("dense_batch_grads", dense_mean_again, "divided by the batch size m = "),
    ("dense_batch_grads", dense_axis1, "wrong axis summed"),
    ("chain_rule_direct_term", chain_jacobian, None),
    ("chain_rule_direct_term", chain_path_only, "the direct term, the partial of f in t"),
    ("chain_rule_direct_term", chain_direct_only, "the path t -> x -> f"),
    ("chain_rule_direct_term", chain_transposed, "transposed"),
    ("central_difference", cd_in_place_restored, None),
    ("central_difference", cd_forward, "one-sided (forward) difference"),
    ("central_difference", cd_over_h, "off by a factor 2"),
    ("central_difference", cd_all_at_once, "every entry moved at once"),
    ("jvp_dense", jvp_jacobian, None),
    ("jvp_dense", jvp_bias, "the biases entered the tangent"),
    ("jvp_dense", jvp_no_derivative, "tanh'(z) = 1 - a^2 is missing"),
    ("jvp_dense", jvp_at_z, "1 - z^2"),
    ("hvp_quadratic", hvp_entries, None),
    ("hvp_quadratic", hvp_a, "A used as the Hessian"),
    ("hvp_quadratic", hvp_twice, "off by a factor 2"),
    ("hvp_quadratic", hvp_gradient, "this is the gradient at w"),
    ("batchnorm_backward", bn_right, None),
    ("batchnorm_backward", bn_constants, "treated as constants"),
    ("batchnorm_backward", bn_no_mean_path, "a path is missing: the mean path"),
    ("batchnorm_backward", bn_layer_axis, "which is layer normalisation"),
    ("batchnorm_backward", bn_dbeta_mean, "off by a factor m = "),
    ("layernorm_backward", ln_right, None),
    ("layernorm_backward", ln_batch_axis, "which is batch normalisation"),
    ("layernorm_backward", ln_no_mean_path, "a path is missing: the mean path"),
    ("layernorm_backward", ln_dgamma_axis1, "wrong axis summed"),
    ("conv2d_backward", conv_right, None),
    ("conv2d_backward", conv_flipped, "rotated by 180 degrees"),
    ("conv2d_backward", conv_db_batch_only, "shared by every position"),
    ("conv2d_backward", conv_dW_mean, "off by a factor m = "),
    ("maxpool_backward", pool_right, None),
    ("maxpool_backward", pool_average, "as for average pooling"),
    ("maxpool_backward", pool_copy, "copied to every entry"),
    ("maxpool_backward", pool_first, "first (top-left) entry"),
    ("attention_backward", attention_right, None),
    ("attention_backward", attention_unscaled, "1/sqrt(d)"),
    ("attention_backward", attention_diagonal, "only the diagonal of the softmax Jacobian"),
    ("attention_backward", attention_axis0, "wrong axis summed"),
    ("rnn_bptt", rnn_right, None),
    ("rnn_bptt", rnn_truncated, "the path through later time steps"),
    ("rnn_bptt", rnn_carry_after_tanh, "skipped tanh'"),
    ("rnn_bptt", rnn_dW_h_current, "pair it with the previous state"),
]


def test_the_exercises_are_the_fourteen_agreed_names():
    assert sorted(EXERCISES) == sorted(LAYOUT_NAMES)


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_the_reference_passes_and_agrees_with_central_differences(name):
    exercise = get_exercise(name)
    cases = exercise.cases()
    assert len(cases) >= 3 and len({c.label for c in cases}) == len(cases)
    for case in cases:
        for ref, numeric in zip(exercise.expected(case), exercise.numeric(case)):
            assert ref.shape == numeric.shape
            assert bp.relative_error(ref, numeric) < bp.GRADIENT_CHECK_TOLERANCE, (name, case.label)
    results = list(grade(exercise, exercise.reference))
    assert all(r.passed for r in results), [r.lines for r in results]


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_every_known_mistake_differs_from_the_reference(name):
    exercise = get_exercise(name)
    assert len({m.diagnosis for m in exercise.mistakes}) >= 3
    for mistake in exercise.mistakes:
        assert mistake.output in exercise.outputs
        differs = []
        for case in exercise.cases():
            try:
                wrong = np.asarray(mistake.compute(**case.inputs))
            except ValueError:  # a transpose that only fits square shapes
                continue
            ref = exercise.expected(case)[exercise.outputs.index(mistake.output)]
            differs.append(wrong.shape != ref.shape or not np.allclose(wrong, ref, rtol=1e-6, atol=1e-9))
        assert any(differs), (name, mistake.diagnosis)


@pytest.mark.parametrize(("name", "solution", "diagnosis"), SOLUTIONS, ids=[s[1].__name__ for s in SOLUTIONS])
def test_a_reader_solution_gets_its_verdict(name, solution, diagnosis):
    results = list(grade(get_exercise(name), solution))
    if diagnosis is None:
        assert all(r.passed for r in results), [r.lines for r in results]
        return
    failed = [r for r in results if not r.passed]
    assert failed, f"{solution.__name__} passed"
    for r in failed:  # every failing case names the mistake, and only that one
        assert r.diagnoses and all(diagnosis in d for d in r.diagnoses), (r.lines, diagnosis)


def test_every_exercise_has_three_planted_mistakes_and_a_right_answer_written_differently():
    for name in LAYOUT_NAMES:
        verdicts = [d for n, _, d in SOLUTIONS if n == name]
        assert None in verdicts and len([d for d in verdicts if d]) >= 3, name


def delta_naive_softmax(z, Y):  # wrong: without the row maximum subtracted, exp overflows near z = 750
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True) - Y) / len(z)


def test_a_softmax_that_overflows_fails_output_delta_at_large_logits_only():
    results = list(grade(get_exercise("output_delta"), delta_naive_softmax))
    assert [r.passed for r in results] == [True, True, True, False]
    assert "is nan: expected a finite number" in results[-1].lines[0]


def test_changing_an_input_in_place_fails_with_a_message():
    results = list(grade(get_exercise("central_difference"), cd_not_restored))
    assert not any(r.passed for r in results)
    assert all("changed its argument x in place" in r.lines[0] for r in results)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (None, "returned None (is a `return` missing?)"),
        (1.5, "returned a float; expected one NumPy array, dz (4, 3)"),
        ([[0.0] * 3] * 4, "returned a list; expected one NumPy array"),
        ((np.zeros((4, 3)),), "returned a tuple; expected one NumPy array"),
        (np.zeros((3, 4)), "dz has shape (3, 4); expected (4, 3)"),
        (np.full((4, 3), np.nan), "dz[0, 0] is nan: expected a finite number"),
    ],
)
def test_a_wrong_type_or_shape_gets_a_message(result, message):
    first = next(grade(get_exercise("softmax_vjp"), lambda a, g: result))
    assert not first.passed and message in "\n".join(first.lines)


def not_written(delta_next, W_next, z):
    raise NotImplementedError


def transposed_crash(delta_next, W_next, z):
    return delta_next @ W_next.T


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (not_written, "hidden_delta is not written yet (it raises NotImplementedError)"),
        (transposed_crash, "your function raised ValueError: matmul: "),
        (transposed_crash, "(compare each array's shape with the docstring: a transposed matrix often"),
        (lambda delta_next, W_next, z: "delta", "returned a str; expected one NumPy array, delta (4, 5)"),
    ],
)
def test_a_function_that_raises_or_returns_a_str_gets_a_message(function, message):
    first = next(grade(get_exercise("hidden_delta"), function))
    assert not first.passed and message in first.lines[0], first.lines


def test_a_backward_pass_with_three_outputs_must_return_three_arrays():
    first = next(grade(get_exercise("batchnorm_backward"), lambda dY, X, gamma, eps: dY))
    assert "returned an array of dtype float64; expected a tuple of 3 NumPy arrays" in first.lines[0]


def test_a_transpose_of_a_whole_output_is_named():
    first = next(grade(get_exercise("softmax_vjp"), lambda a, g: (a * (g - (g * a).sum(1, keepdims=True))).T))
    assert first.diagnoses == ["transposed: yours has shape (3, 4), the transpose of the expected (4, 3)"]


# The command line: the parent runs in this process, the reader's file in a child process.
def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_the_readme_says_what_the_commands_do():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exercises that grade you", 1)[1].split("\n## ", 1)[0]
    assert len(EXERCISES) == 14 and section.startswith("\n\nFourteen exercises")
    assert f"stopped\nafter {DEFAULT_TIMEOUT:g} seconds" in section
    assert "python -m backprop_derived.exercises start softmax_vjp" in section


def test_list_shows_every_exercise_with_its_page(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for exercise in EXERCISES.values():
        assert exercise.name in out and exercise.url in out and exercise.statement in out


def test_page_links_point_at_pages_and_headings_of_the_site():
    for exercise in EXERCISES.values():
        path, _, anchor = exercise.page.partition("#")
        assert exercise.url.startswith(SITE_URL)
        if path in PLANNED_PAGES and not (DOCS / path).exists():
            continue  # a page being written this round: its path is the agreed one
        text = (DOCS / path).read_text(encoding="utf-8")
        if anchor:
            headings = re.findall(r"^#+ (.*)$", text, re.M)
            ids = {m for h in headings for m in re.findall(r"\{#([\w-]+)\}", h)}
            ids |= {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}
            assert anchor in ids, (exercise.name, anchor)


def test_start_writes_a_template_and_refuses_to_overwrite(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "start", "softmax_vjp", str(tmp_path / "work"))
    path = tmp_path / "work" / "softmax_vjp.py"
    assert code == 0 and str(path) in out
    text = path.read_text(encoding="utf-8")
    assert "def softmax_vjp(a, g):" in text and "raise NotImplementedError" in text
    assert get_exercise("softmax_vjp").url in text and "(m, n)" in text
    compile(text, str(path), "exec")

    path.write_text("# my work\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "start", "softmax_vjp", str(tmp_path / "work"))
    assert code == 2 and "exists already; not overwriting it (add --force" in err
    assert path.read_text(encoding="utf-8") == "# my work\n"
    code, _, _ = run_cli(capsys, "start", "softmax_vjp", str(tmp_path / "work"), "--force")
    assert code == 0 and "raise NotImplementedError" in path.read_text(encoding="utf-8")


def test_cli_usage_errors_are_one_line(tmp_path, capsys):
    for args, message in [
        (("start", "softmax_vj"), "no exercise named 'softmax_vj'; the exercises are: "),
        (("check", str(tmp_path / "missing.py")), "missing.py: no such file"),
        (("check", str(write(tmp_path, "mine.py", "x = 1\n"))), "cannot tell which exercise mine.py answers"),
    ]:
        code, out, err = run_cli(capsys, *args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_check_passes_a_right_file_and_diagnoses_a_wrong_one(tmp_path, capsys):
    right = write(tmp_path, "answer.py", """\
        import numpy as np

        def dense_batch_grads(delta, a_prev):
            print("computing")
            return delta.T @ a_prev, delta.sum(axis=0)
    """)  # fmt: skip
    code, out, _ = run_cli(capsys, "check", str(right))
    assert code == 0 and "All 3 cases pass" in out and "computing" in out
    assert out.count(": pass, relative error against central differences") == 3

    wrong = write(tmp_path, "attempt.py", """\
        def dense_batch_grads(delta, a_prev):
            return a_prev.T @ delta, delta.sum(axis=0)
    """)  # fmt: skip
    code, out, _ = run_cli(capsys, "check", str(wrong), "--exercise", "dense_batch_grads")
    assert code == 1 and "0 of 3 cases pass" in out
    assert "dW has shape (5, 3); expected (3, 5)" in out and "diagnosis: transposed" in out


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def hidden_delta(delta_next, W_next, z)\n    return z\n", "has a syntax error at line 1"),
        ("import no_such_module\n", "could not be imported: ModuleNotFoundError: No module named 'no_such_module'"),
        ("raise RuntimeError('oops')\n", "raised RuntimeError while it was imported: oops, at line 1"),
        ("def hidden_deltaa(delta_next, W_next, z):\n    return z\n", "defines no function named hidden_delta"),
        ("def hidden_delta(delta_next, W_next, z):\n    import sys; sys.exit(3)\n", "your function raised SystemExit"),
    ],
)
def test_check_explains_a_bad_file(tmp_path, capsys, source, message):
    code, out, _ = run_cli(capsys, "check", str(write(tmp_path, "hidden_delta.py", source)))
    assert code == 1 and message in out, out


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def hidden_delta(delta_next, W_next, z):\n    while True:\n        pass\n",
            "case 1 of 3 (m=4, n_next=3, n=5, seed 7) did not finish within 2 s: an endless loop?",
        ),
        ("while True:\n    pass\n", "hidden_delta.py, while it was imported, did not finish within 2 s"),
    ],
)
def test_check_stops_an_endless_loop(tmp_path, source, message):
    path = write(tmp_path, "hidden_delta.py", source)
    command = [sys.executable, "-m", "backprop_derived.exercises", "check", str(path), "--timeout", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # the test's own bound
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert message in result.stdout, result.stdout


def test_python_m_runs_the_commands(tmp_path):
    run = [sys.executable, "-m", "backprop_derived.exercises"]
    started = subprocess.run([*run, "start", "output_delta"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0 and (tmp_path / "output_delta.py").exists()
    checked = subprocess.run([*run, "check", "output_delta.py"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
    assert checked.returncode == 1 and "output_delta is not written yet" in checked.stdout and checked.stderr == ""
    assert "Traceback" not in checked.stdout
