"""The benchmark script runs, its slow reference agrees with backprop, and the committed results
behind the Performance page are complete. Timings are never asserted here: see benchmarks/."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

import backprop_derived as bp
from conftest import ROOT, load_module

bench = load_module("bench", ROOT / "benchmarks" / "bench.py")
page = load_module("benchmark_page", ROOT / "docs" / "hooks" / "benchmark_page.py")


def test_per_weight_loop_gives_backprops_gradients():
    X, y = bp.load_iris()
    X = bp.standardize(X)
    net = bp.Network([4, 5, 3], seed=3)
    slow = bench.per_weight_gradients(net, X, bp.one_hot(y, 3))
    for fast_pair, slow_pair in zip(net.gradients(X, bp.one_hot(y, 3)), slow):
        for fast, s in zip(fast_pair, slow_pair):
            np.testing.assert_allclose(s, fast, rtol=1e-10, atol=1e-14)


def test_step_flops_counts_multiply_adds():
    # 4-5-3, m = 1: forward 20 + 15, dW 20 + 15, delta for layer 2 only: 15; times 2 flops each.
    assert bench.step_flops(1, [4, 5, 3]) == 2 * (35 + 35 + 15)


def test_quick_run_produces_complete_results(monkeypatch):
    pauses = []
    monkeypatch.setattr(bench.time, "sleep", pauses.append)
    results = bench.run(quick=True)
    assert pauses and set(pauses) == {0.0}  # --quick is a smoke test: it never waits
    assert [c["id"] for c in results["cases"]] == [c.id for c in bench.CASES]
    iris = results["cases"][0]
    assert iris["id"] == "iris" and iris["m"] == 150  # iris keeps all its rows, and says so
    assert iris["flops"] == bench.step_flops(150, [4, 5, 3])
    assert all(c["m"] <= 64 for c in results["cases"][1:])
    assert iris["per_weight_max_abs_diff"] < 1e-12
    for case in results["cases"]:
        assert case["backprop"]["median_s"] > 0
        if case["torch"] is not None:
            assert case["max_abs_diff_vs_torch"] < 1e-10
    json.dumps(results)  # serialisable as written


def test_committed_results_fill_every_placeholder_of_the_page():
    results = page.load()
    found = page.values(results)
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    keys = page.PLACEHOLDER.findall(text)
    assert keys and set(keys) <= set(found)
    assert results["cases"][0]["per_weight_max_abs_diff"] < 1e-12


def test_each_target_is_called_met_or_missed_from_its_ratio():
    assert page.verdict(0.24, 0.25) == "met" and page.verdict(0.25, 0.25) == "met"
    assert page.verdict(0.26, 0.25) == "missed" and page.verdict(1.27, 1.1) == "missed"
    assert page.verdict(None, 1.1) == "not measured"
    results = page.load()
    found = page.values(results)
    for key, case in zip(("iris", "mid", "big"), results["cases"]):
        ratio = case["ratio_backprop_to_torch"]
        if ratio is not None:  # the word follows the committed file's own ratio
            assert found[f"{key}_verdict"] == ("met" if ratio <= page.TARGETS[key] else "missed")


def test_the_figure_describes_itself():
    fig = page.figure(page.load())
    assert "per-weight loop" in fig.alt_text and len(fig.axes) == 1


@pytest.mark.skipif(bench.torch is None, reason="PyTorch is optional: pip install torch==2.13.0")
def test_torch_model_holds_the_same_weights():
    net = bp.Network([4, 5, 3], seed=0)
    model = bench.torch_model(net)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), net.layer(1).W)
    np.testing.assert_array_equal(model[2].bias.detach().numpy(), net.layer(2).b)


class _Counted(float):
    """A float that counts the multiplications and divisions it takes part in."""

    counts: ClassVar[dict[str, int]] = {"mul": 0, "div": 0}

    def _op(self, other, op, kind=None):
        if kind:
            _Counted.counts[kind] += 1
        return _Counted(op(float(self), float(other)))

    def __mul__(self, other):
        return self._op(other, lambda a, b: a * b, "mul")

    def __rmul__(self, other):
        return self._op(other, lambda a, b: b * a, "mul")

    def __truediv__(self, other):
        return self._op(other, lambda a, b: a / b, "div")

    def __rtruediv__(self, other):
        return self._op(other, lambda a, b: b / a, "div")

    def __add__(self, other):
        return self._op(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._op(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._op(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._op(other, lambda a, b: b - a)


def test_per_weight_loop_does_the_operations_the_page_counts(monkeypatch):
    """The performance page counts the loop's operations from its nesting; here they are counted
    as the loop runs them, every float of the computation wrapped in a counting float."""

    def counted(a):
        return np.array([_Counted(v) for v in np.asarray(a, dtype=float).ravel()], dtype=object).reshape(np.shape(a))

    class Params:
        def __init__(self, layer):
            self.W, self.b = counted(layer.W), counted(layer.b)

    class CountedNet:
        def __init__(self, net):
            self.params = [Params(layer) for layer in net.layers]

        def layer(self, l):
            return self.params[l - 1]

    class CountedMath:
        @staticmethod
        def exp(v):
            return _Counted(np.exp(float(v)))

    X, y = bp.load_iris()
    X = bp.standardize(X)
    net = bp.Network([4, 5, 3], seed=0)
    monkeypatch.setattr(bench, "math", CountedMath)
    monkeypatch.setattr(_Counted, "counts", {"mul": 0, "div": 0})
    slow = bench.per_weight_gradients(CountedNet(net), counted(X), counted(bp.one_hot(y, 3)))
    np.testing.assert_allclose(
        np.asarray(slow[0][0], dtype=float), net.gradients(X, bp.one_hot(y, 3))[0][0], rtol=1e-10
    )
    forward_mults, forward_divs = 150 * (5 * 4 + 3 * 5), 150 * 3  # Z_1 and Z_2; the softmax's a_k = e_k / s
    backward = {"mul": _Counted.counts["mul"] - forward_mults, "div": _Counted.counts["div"] - forward_divs}
    assert backward == {"mul": 36_450, "div": 13_950}, backward
    page_text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "per-weight loop: 36,450 multiplications, 13,950 divisions" in page_text


class _CountingArray(np.ndarray):
    """An array that counts the multiplications and divisions of the ufuncs it takes part in:
    a matrix product counts one multiplication per output entry and inner index."""

    counts: ClassVar[dict[str, int]] = {"mul": 0, "div": 0}

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, _CountingArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, _CountingArray) else x for x in kwargs["out"])
        out = getattr(ufunc, method)(*plain, **kwargs)
        if method == "__call__":
            if ufunc is np.matmul:
                _CountingArray.counts["mul"] += np.size(out) * np.shape(plain[0])[-1]
            elif ufunc is np.multiply:
                _CountingArray.counts["mul"] += np.size(out)
            elif ufunc is np.divide:
                _CountingArray.counts["div"] += np.size(out)
        return out.view(_CountingArray) if isinstance(out, np.ndarray) else out


def test_matrix_form_does_the_operations_the_page_counts(monkeypatch):
    """The page counts the matrix form's backward pass by hand from Network.backward; here its
    operations are counted as Network.backward runs them, on arrays that count their ufuncs."""
    X, y = bp.load_iris()
    X = bp.standardize(X)
    net = bp.Network([4, 5, 3], seed=0)
    expected = net.gradients(X, bp.one_hot(y, 3))
    net.forward(X)
    for layer in net.layers:  # only the backward pass runs on counting arrays
        assert layer.z is not None and layer.a is not None  # set by the forward pass
        layer.W = layer.W.view(_CountingArray)
        layer.z, layer.a = layer.z.view(_CountingArray), layer.a.view(_CountingArray)
    monkeypatch.setattr(_CountingArray, "counts", {"mul": 0, "div": 0})
    grads = net.backward(bp.one_hot(y, 3))
    for (dW, db), (eW, eb) in zip(grads, expected):
        np.testing.assert_array_equal(np.asarray(dW), eW)
        np.testing.assert_array_equal(np.asarray(db), eb)
    assert _CountingArray.counts == {"mul": 8_250, "div": 450}, _CountingArray.counts
    page_text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "matrix form: 8,250 multiplications, 450 divisions" in page_text


def test_performance_page_quotes_the_committed_matmul_times():
    """The NumPy/PyTorch product times written into the Performance page are the results file's."""
    import ast
    import re

    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    found = re.search(r"^seconds = (\{.*?\}\})$", text, re.S | re.M)
    assert found, "the page's recorded matmul times are missing"
    quoted = ast.literal_eval(found.group(1))
    results = page.load()
    for library, key in (("NumPy", "matmul"), ("PyTorch", "torch_matmul")):
        run, t = results[key], quoted[library]
        assert run["n"] == 1024
        np.testing.assert_allclose(
            [t["median"], t["best"], t["first quartile"]], [run["median_s"], run["min_s"], run["q25_s"]], rtol=1e-5
        )
        np.testing.assert_allclose(2 * run["n"] ** 3 / run["median_s"] / 1e9, run["gflops_median"], rtol=1e-9)
        np.testing.assert_allclose(2 * run["n"] ** 3 / run["min_s"] / 1e9, run["gflops_best"], rtol=1e-9)
