"""The pages under docs/beyond/: the CNN page's figure comes from the same training as its block."""

from __future__ import annotations

import code
import contextlib
import io

import numpy as np
import pytest
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
    assert "with skips around layers 2 to 10: 2.8e-01 at layer 1" in alt  # as the residual page prints


class _PasteConsole(code.InteractiveConsole):
    """The standard interactive interpreter's reading of pasted lines, compiling without running."""

    def __init__(self) -> None:
        super().__init__()
        self.rejected: list[str] = []

    def runcode(self, code_object) -> None:  # compiling is the point; running is the page test's job
        pass

    def showsyntaxerror(self, filename=None, **kwargs) -> None:
        self.rejected.append(self.buffer[-1] if self.buffer else "?")


BEYOND_PAGES = ["batch-norm.md", "layer-norm.md", "residual.md", "convolution.md", "cnn-digits.md"]


def _python_blocks(path) -> list[tuple[int, str]]:
    """(line, code) of every python fence as the rendered page shows it, blank lines kept.

    pytest-codeblocks drops the blank lines of a fence indented under an admonition, and a blank
    line is exactly what this test looks for, so the fences are read here.
    """
    blocks, lines, start, indent = [], path.read_text().splitlines(), None, ""
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if start is None and stripped == "```python":
            start, indent, body = number, line[: len(line) - len(stripped)], []
        elif start is not None and line == indent + "```":
            blocks.append((start, "\n".join(body)))
            start = None
        elif start is not None:
            body.append(line[len(indent) :] if line.startswith(indent) else line.strip())
    return blocks


@pytest.mark.parametrize("page", BEYOND_PAGES)
def test_every_block_pastes_into_the_interactive_interpreter(page):
    """A top-level loop, with or def needs a blank line after its body before the next statement."""
    rejected = []
    for lineno, source in _python_blocks(DOCS / "beyond" / page):
        console = _PasteConsole()
        for line in source.splitlines():
            console.push(line)
        console.push("")
        rejected += [(lineno, line) for line in console.rejected]
    assert rejected == []
    assert len(_python_blocks(DOCS / "beyond" / page)) == sum(
        b.syntax == "python" for b in extract_from_file(DOCS / "beyond" / page)
    )
