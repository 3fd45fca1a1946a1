"""The pages under docs/beyond/: the CNN page's figure comes from the same training as its block."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pytest_codeblocks import extract_from_file

import backprop_derived as bp
from conftest import DOCS, ROOT, load_module

site_hooks = load_module("site_hooks", ROOT / "docs" / "hooks" / "site_hooks.py")


def test_the_kernel_figure_shows_the_kernels_the_page_trains():
    blocks = [b for b in extract_from_file(DOCS / "beyond" / "cnn-digits.md") if "CNN, kernels trained" in b.code]
    assert len(blocks) == 1
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(blocks[0].code, namespace)
    np.testing.assert_array_equal(namespace["K"].data, site_hooks.digits_cnn_kernels())


def test_plot_kernels_describes_its_data():
    K = np.arange(18, dtype=float).reshape(2, 1, 3, 3) - 4
    fig = bp.plots.plot_kernels(K, title="Two kernels")
    assert fig.caption == "2 kernels of 3 x 3 weights, from -4.00 to 13.00; 13 of 18 weights are positive"
    assert "the centre weight is positive in 1 of the 2 kernels" in fig.alt_text


def test_the_residual_figure_shows_the_initialisation_pages_plain_network():
    X, y = bp.load_iris()
    X, Y = bp.standardize(X), bp.one_hot(y, 3)
    plain = bp.gradient_norms(bp.Network([4] + [10] * 10 + [3], hidden="sigmoid", seed=0), X, Y)
    alt = site_hooks.figures()["residual-gradient-norms.png"].alt_text
    assert f"plain (as on the initialisation page): {plain[0]:.1e} at layer 1 and {plain[-1]:.1e} at layer 11" in alt
    assert "with skips around layers 2 to 10: 2.4e-01 at layer 1" in alt  # as the residual page prints
