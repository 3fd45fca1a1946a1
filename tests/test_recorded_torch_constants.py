"""The PyTorch values recorded on the batch-norm and convolution pages, regenerated from PyTorch.

The pages compare with these constants so that a reader without PyTorch still has an independent
reference; this test reads the constants from the page text and recomputes them where PyTorch is
installed (it skips otherwise), so a constant that was pasted from the formula under test would fail.
The constants were recorded with PyTorch 2.13.0 (CPU) on 6 December 2026 (batch-norm.md's training-mode
row on 8 December 2026), as the pages say; with that version, on 8 December 2026, all three tests passed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import backprop_derived as bp
from conftest import DOCS

torch = pytest.importorskip("torch")


def page_array(page: str, name: str) -> np.ndarray:
    """The numbers of `name = np.array([...])` on the page, nested brackets flattened."""
    text = (DOCS / "beyond" / page).read_text()
    found = re.search(rf"^{name} = np\.array\((\[.*?\])\)", text, re.S | re.M)
    assert found, f"{name} not found on {page}"
    return np.array([float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", found.group(1))])


#: The batch norm's scale and shift on both batch-norm pages.
GAMMA, BETA = np.array([0.5, 0.8, 1.2, 1.4, 1.6]), np.array([-0.2, -0.1, 0.05, 0.1, 0.2])


def first_layer(rows) -> np.ndarray:
    """The batch-norm pages' input Z = X W_1^T + b_1 for the given flowers (the 4-5-3 network, seed 0)."""
    X, _ = bp.load_iris()
    W1, b1, _, _ = bp.Network([4, 5, 3], seed=0).parameters()
    return X[rows] @ W1.T + b1


def test_batch_norm_running_statistics_and_eval_outputs_are_pytorchs():
    bn = torch.nn.BatchNorm1d(5, eps=1e-5, momentum=0.1, dtype=torch.float64).train()
    for start in range(15):
        bn(torch.tensor(first_layer(slice(start, None, 15))))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), page_array("batch-norm-inference.md", "torch_mean"), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        bn.running_var.numpy(), page_array("batch-norm-inference.md", "torch_var"), rtol=1e-9, atol=1e-9
    )
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(GAMMA))
        bn.bias.copy_(torch.from_numpy(BETA))
        out = bn.eval()(torch.from_numpy(first_layer([0, 15]))).numpy()
    np.testing.assert_allclose(out.ravel(), page_array("batch-norm-inference.md", "torch_eval"), rtol=1e-9, atol=1e-9)
    assert "PyTorch 2.13.0, 6 December 2026" in (DOCS / "beyond" / "batch-norm-inference.md").read_text()  # provenance


def test_batch_norm_training_mode_output_is_pytorchs():
    bn = torch.nn.BatchNorm1d(5, eps=1e-5, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(GAMMA))
        bn.bias.copy_(torch.from_numpy(BETA))
        out = bn(torch.from_numpy(first_layer(np.arange(0, 150, 15)))).numpy()
    np.testing.assert_allclose(out[0], page_array("batch-norm.md", "torch_train"), rtol=1e-9, atol=1e-9)
    assert "PyTorch 2.13.0, 8 December 2026" in (DOCS / "beyond" / "batch-norm.md").read_text()  # provenance


def test_convolution_transposed_values_are_pytorchs():
    images, _ = bp.load_digits()
    X = np.stack([images[:2, :7, :7], images[2:4, :7, :7]], axis=1) / 16
    rng = np.random.default_rng(0)
    K = rng.normal(size=(3, 2, 3, 3))
    G = rng.normal(size=(2, 3, 4, 4)) / 32
    up = torch.nn.functional.conv_transpose2d(torch.from_numpy(G), torch.from_numpy(K), stride=2, padding=1).numpy()
    weights = np.random.default_rng(1).normal(size=X.shape)
    np.testing.assert_allclose(
        [np.sum(weights * up), np.linalg.norm(up)], page_array("convolution.md", "recorded"), rtol=1e-6, atol=1e-9
    )
