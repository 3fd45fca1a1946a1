"""The build hooks: every figure a page links to is drawn, and figures carry their alt text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from mkdocs.exceptions import PluginError

import backprop_derived as bp
from conftest import DOCS, ROOT, load_module


def _load(name: str):
    return load_module(name, ROOT / "docs" / "hooks" / f"{name}.py")


site_hooks = _load("site_hooks")


def test_every_linked_figure_is_drawn():
    linked = {m for path in DOCS.rglob("*.md") for m in re.findall(r"figures/([\w-]+\.png)", path.read_text())}
    drawn = set(site_hooks.figures()) | site_hooks.OTHER_HOOKS  # the benchmark hook draws those
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


# Alt text and captions come from the data: recompute the facts independently and compare.


def _running_example():
    """The figures' flower, standardised by hand, and the hidden z of the untrained network, by hand."""
    X, _ = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    x = (X[106] - X.mean(axis=0)) / X.std(axis=0)  # flower 106, standardised over all 150 flowers
    z_hidden = np.array([x @ net.layer(1).W[i] + net.layer(1).b[i] for i in range(5)])
    return net, x, z_hidden


def _listing(numbers) -> str:
    labels = [str(n) for n in numbers]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def test_figures_are_drawn_at_the_running_example():
    assert site_hooks.FLOWER == 106
    x, Y = site_hooks.running_example(bp)
    _, x_by_hand, _ = _running_example()
    np.testing.assert_allclose(x[0], x_by_hand, rtol=1e-12, atol=1e-12)
    assert Y.tolist() == [[0.0, 0.0, 1.0]]  # a virginica


def _zero_pattern_of_a_diagonal(on, off) -> str:
    return "diagonal" + (f", non-zero at {_listing(on)}" if on else "") + (f", zero at {_listing(off)}" if off else "")


def test_relu_jacobian_alt_lists_exactly_the_active_neurons():
    # drawn at standardised flower 41 (the running example's Jacobian is the identity)
    X, _ = bp.load_iris()
    W, b = bp.Network([4, 5, 3], seed=0).layer(1).W, bp.Network([4, 5, 3], seed=0).layer(1).b
    x = (X[41] - X.mean(axis=0)) / X.std(axis=0)
    z = [sum(x[k] * W[i, k] for k in range(4)) + b[i] for i in range(5)]  # by hand
    active = [i + 1 for i in range(5) if z[i] > 0]
    inactive = [i + 1 for i in range(5) if z[i] <= 0]
    assert active == [3, 4]  # hidden-layer.md: neurons 1, 2 and 5 off at flower 41
    fig = site_hooks.figures()["jacobian-relu.png"]
    expected = _zero_pattern_of_a_diagonal(active, inactive)
    assert fig.caption == expected and fig.alt_text.endswith(expected)


def test_dz_dw_caption_counts_the_non_zero_entries():
    _, _, z = _running_example()
    dead = [j + 1 for j in range(5) if z[j] <= 0]
    fig = site_hooks.figures()["jacobian-dz-dW.png"]
    # row i of dz_L/dW_L holds a^[L-1] in the 5 columns of w_i1..w_i5: a zero column per dead neuron and row
    assert fig.caption.startswith(f"{3 * (5 - len(dead))} of 45 entries are non-zero")
    if dead:
        columns = [f"w{i}{j}" for i in range(1, 4) for j in dead]
        assert f"all-zero columns: {_listing(columns)}" in fig.caption
    else:
        assert "all-zero" not in fig.caption


def test_softmax_and_sigmoid_captions_follow_their_jacobians():
    figs = site_hooks.figures()
    assert figs["jacobian-softmax.png"].caption.startswith("every entry is non-zero, 3 positive and 6 negative")
    assert figs["jacobian-sigmoid-output.png"].caption == "diagonal, non-zero at 1, 2 and 3"


def test_network_caption_counts_the_signs_of_the_weights():
    net, _, _ = _running_example()
    w = np.concatenate([net.layer(1).W.ravel(), net.layer(2).W.ravel()])
    caption = site_hooks.figures()["network.png"].caption
    assert caption == f"35 weights, one edge each: {(w > 0).sum()} positive (red) and {(w < 0).sum()} negative (blue)"


def test_network_figure_draws_each_weight_by_sign_and_size_and_labels_every_node():
    """What the forward-pass page says of Figure 1 (moved here from the page's block)."""
    net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
    fig = bp.plots.draw_network(net, input_names=bp.FEATURE_NAMES)
    edges = fig.axes[0].lines
    assert len(edges) == 4 * 5 + 5 * 3 == 35  # one edge per weight
    weights = np.concatenate([layer.W.ravel() for layer in net.layers])  # drawn in this order: w_11, w_12, ...
    assert {edge.get_color() for edge in edges} == {"#1f5fbf", "#c0392b"}  # two colours, blue and red
    red = np.array([edge.get_color() == "#c0392b" for edge in edges])
    assert (red == (weights > 0)).all() and (weights != 0).all() and 0 < red.sum() < 35  # red: w > 0; blue: w < 0
    widths = np.array([edge.get_linewidth() for edge in edges])[np.argsort(np.abs(weights))]
    assert (np.diff(widths) >= 0).all() and widths[-1] > 2 * widths[0]  # wider for a larger |w|
    labels = {text.get_text() for text in fig.axes[0].texts}
    neurons = {f"$a_{j}^{{[1]}}$" for j in range(1, 6)} | {f"$a_{k}^{{[2]}}$" for k in range(1, 4)}
    assert neurons | {f"$x_{j}$" for j in range(1, 5)} | set(bp.FEATURE_NAMES) <= labels  # every node labelled


def test_every_page_figure_is_filled_from_the_data():
    for path in DOCS.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        out = site_hooks.fill_figures(text, str(path))  # raises on a hand-written alt or unknown figure
        assert "{{ caption }}" not in out
        for name in re.findall(r"!\[\]\(figures/([\w-]+\.png)\)", out):
            assert name in site_hooks.OTHER_HOOKS, f"{path}: figures/{name} left without alt text"


@pytest.mark.parametrize(
    "text, message",
    [
        ("![Six active neurons](figures/jacobian-relu.png)", "hand-written alt"),
        ("![](figures/no-such-figure.png)", "not a figure any hook draws"),
        ("The {{ caption }} of nothing.", "outside a <figure> block"),
        (
            (
                '<figure markdown="span">\n  ![](figures/jacobian-relu.png)\n  ![](figures/network.png)\n'
                "  <figcaption>{{ caption }}</figcaption>\n</figure>"
            ),
            "exactly one generated figure",
        ),
    ],
)
def test_build_refuses_hand_written_or_unknown_figures(text, message):
    with pytest.raises(PluginError, match=message):
        site_hooks.fill_figures(text, "page.md")


def test_caption_placeholder_is_filled_inside_its_figure():
    text = (
        '<figure markdown="span">\n  ![](figures/jacobian-relu.png)\n'
        "  <figcaption>{{ caption }}.</figcaption>\n</figure>"
    )
    out = site_hooks.fill_figures(text, "page.md")
    fig = site_hooks.figures()["jacobian-relu.png"]
    assert f"<figcaption>{fig.caption}.</figcaption>" in out and f"![{fig.alt_text}]" in out


def _dashed(fig) -> list[int]:
    return [sum(line.get_linestyle() == "--" for line in ax.get_lines()) for ax in fig.axes]


def test_paths_figure_dashes_every_edge_of_a_dead_path():
    # raw flower 100 switches hidden neurons off: the drawing must dash each edge of their paths
    X, _ = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    z = np.array([X[100] @ net.layer(1).W[i] + net.layer(1).b[i] for i in range(5)])  # by hand
    dead = int((z <= 0).sum())
    assert dead > 0
    fig = bp.plots.draw_paths(bp.Network([4, 5, 3], seed=0), X[100], weight=(1, 1), input_index=1)
    # bottom panel, per dead hidden neuron: x_1 -> z, z -> a, and a -> each of the 3 outputs
    assert _dashed(fig) == [0, dead * (1 + 1 + 3)]
    assert f"{dead * 3} of them dashed grey" in fig.alt_text


def test_site_paths_figure_is_the_paths_page_example_with_every_path_live():
    # paths.md draws standardised flower 106, where all five hidden neurons fire (z computed by hand)
    X, _ = bp.load_iris()
    net = bp.Network([4, 5, 3], seed=0)
    x = bp.standardize(X)[106]
    z = np.array([x @ net.layer(1).W[i] + net.layer(1).b[i] for i in range(5)])
    assert np.all(z > 0)
    fig = site_hooks.figures()["computational-graph.png"]
    assert _dashed(fig) == [0, 0]
    assert "dashed" not in fig.alt_text and "Hidden neurons switched off" not in fig.alt_text


# --- how the figures look -------------------------------------------------------------------------


def _luminance(rgb) -> float:
    """WCAG 2 relative luminance, written out here rather than taken from the plots module."""
    c = np.asarray(rgb, dtype=float)[:3]
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _site_figures():
    benchmark = _load("benchmark_page")
    return {**site_hooks.figures(), "performance.png": benchmark.figure(benchmark.load())}


def _texts(fig):
    from matplotlib.colors import to_rgba
    from matplotlib.text import Text

    return [(t, to_rgba(t.get_color())) for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def _on_a_cell(text) -> bool:
    """Whether ``text`` is written in data coordinates on axes that show an image (a heat map)."""
    return text.axes is not None and bool(text.axes.get_images()) and text.get_transform() == text.axes.transData


@pytest.mark.parametrize("name", sorted(_site_figures()))
def test_numbers_in_heat_map_cells_contrast_with_their_cell(name):
    # The cell's colour is read from the image under the label: the colour map at the value there.
    fig = _site_figures()[name]
    low = []
    for text, colour in _texts(fig):
        if not _on_a_cell(text):
            continue
        image = text.axes.get_images()[0]
        x, y = text.get_position()
        value = image.get_array()[round(y), round(x)]
        cell = image.cmap(image.norm(value))
        if _contrast(colour, cell) < 4.5:
            low.append((text.get_text(), round(_contrast(colour, cell), 2)))
    assert low == [], low


@pytest.mark.parametrize("name", sorted(_site_figures()))
def test_every_other_text_contrasts_with_the_background_light_and_dark(name):
    fig = _site_figures()[name]
    for variant, background in ((fig, "white"), (fig.dark(), bp.plots.DARK_BACKGROUND)):
        from matplotlib.colors import to_rgba

        low = [
            (t.get_text()[:30], round(_contrast(c, to_rgba(background)), 2))
            for t, c in _texts(variant)
            if not _on_a_cell(t) and _contrast(c, to_rgba(background)) < 4.5
        ]
        assert low == [], (background, low)


def test_figures_are_drawn_for_2x_screens_and_the_dark_variant_is_dark():
    import io

    from PIL import Image

    fig = site_hooks.figures()["jacobian-softmax.png"]
    light, dark = (Image.open(io.BytesIO(fig.png_bytes(dark=d))) for d in (False, True))
    assert light.info["dpi"][0] >= 190 and dark.size == light.size
    corner = lambda image: _luminance(np.asarray(image.convert("RGB"))[2, 2] / 255)  # noqa: E731
    assert corner(light) > 0.9 and corner(dark) < 0.05


def test_the_benchmark_figure_keeps_its_page_s_alt_and_shows_light_and_dark():
    out = site_hooks.fill_figures("![Bar chart of times.](figures/performance.png)", "performance.md", {})
    assert out == (
        "[![Bar chart of times.](figures/performance.png#only-light)](figures/performance.png)"
        "[![Bar chart of times.](figures/performance-dark.png#only-dark)](figures/performance-dark.png)"
    )
