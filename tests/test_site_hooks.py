"""The build hooks: every figure a page links to is drawn, and figures carry their alt text."""

from __future__ import annotations

import importlib.util
import re

import backprop as bp
from conftest import DOCS, ROOT


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


site_hooks = _load("site_hooks")


def test_every_linked_figure_is_drawn():
    linked = {m for path in DOCS.rglob("*.md") for m in re.findall(r"figures/([\w-]+\.png)", path.read_text())}
    drawn = set(site_hooks.figures()) | {"performance.png"}  # the benchmark hook draws the last one
    assert linked and linked <= drawn, linked - drawn


def test_alt_text_travels_inside_the_png():
    net = bp.Network([4, 5, 3], seed=0)
    fig = bp.plots.draw_network(net)
    assert site_hooks.png_description(fig.png_bytes()) == fig.alt_text
    assert "4-5-3 network" in fig.alt_text


def test_notebook_placeholder_alt_is_replaced():
    import base64

    fig = bp.plots.plot_confusion(bp.confusion_matrix([0, 1, 2], [0, 2, 2], 3))
    data = base64.b64encode(fig.png_bytes()).decode()
    html = f'<img alt="No description has been provided for this image" class="" src="data:image/png;base64,{data}"/>'
    out = site_hooks._PLACEHOLDER_ALT.sub(site_hooks._describe, html)
    assert "No description" not in out and "versicolor predicted as virginica: 1" in out
