"""The iris notebook page: it must run, as a script and as a notebook, and reach its targets."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import DOCS

NOTEBOOK = DOCS / "notebooks" / "iris.py"


@pytest.fixture(scope="module")
def script_output(tmp_path_factory) -> str:
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        capture_output=True,
        text=True,
        cwd=tmp_path_factory.mktemp("nb"),
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_gradient_check_before_training(script_output):
    error = float(re.search(r"relative error of the backpropagated gradients: (\S+)", script_output)[1])
    assert error < 1e-7


def test_final_test_accuracy(script_output):
    accuracy = float(re.search(r"final test accuracy of the 4-5-3 network: (\S+)", script_output)[1])
    assert accuracy >= 0.93


def test_progress_does_not_flood(script_output):
    epochs = [line for line in script_output.splitlines() if line.startswith("epoch")]
    assert 1 <= len(epochs) <= 10


def test_runs_as_a_notebook_with_figures():
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(NOTEBOOK)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # learning curves, confusion matrix, decision regions
