"""The benchmark script runs, its slow reference agrees with backprop, and the committed results
behind the Performance page are complete. Timings are never asserted here: see benchmarks/."""

from __future__ import annotations

import json

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


def test_the_figure_describes_itself():
    fig = page.figure(page.load())
    assert "per-weight loop" in fig.alt_text and len(fig.axes) == 1


@pytest.mark.skipif(bench.torch is None, reason="PyTorch is optional: pip install torch==2.13.0")
def test_torch_model_holds_the_same_weights():
    net = bp.Network([4, 5, 3], seed=0)
    model = bench.torch_model(net)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), net.layer(1).W)
    np.testing.assert_array_equal(model[2].bias.detach().numpy(), net.layer(2).b)
