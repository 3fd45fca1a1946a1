"""MkDocs hooks for this site.

* ``on_files``: the chapter figures are drawn by ``backprop_derived.plots`` from real objects at every
  build and added to the site as generated files (nothing is written into docs/).
* ``on_page_markdown``: a page shows a figure as ``![](figures/<name>.png)`` with an **empty** alt;
  the build fills it in with the figure's ``alt_text``, which ``backprop_derived.plots`` writes from the
  arrays it draws. Inside the figure's ``<figure>`` block, ``{{ caption }}`` becomes the figure's
  ``caption``, a sentence of facts read from the same data. So neither can disagree with the data.
  A hand-written alt on a generated figure, an image of a figure no hook draws, or a
  ``{{ caption }}`` outside a figure block fails the build with an error naming page and figure.
* ``on_post_page``: names Material's search dialog for screen readers; and nbconvert's template
  puts a MathJax loader and a Mermaid loader (both from a CDN) on notebook pages. The site
  renders notebook math with its own KaTeX and has no diagrams, so both are removed and no page
  names another host in a script.

To add a figure: write a function in ``backprop_derived.plots`` that sets ``fig.alt_text`` (and, if a
caption should state facts, ``fig.caption``) from the data it draws, then register the figure by
file name in ``figures()`` below, drawn from the same objects the page's text describes.
"""

from __future__ import annotations

import base64
import html
import io
import re
from functools import cache

import numpy as np
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File
from PIL import Image

#: The flower the chapters follow (a virginica), and the network they use.
FLOWER = 100

#: Figures drawn by another hook (docs/hooks/benchmark_page.py), whose page writes its own alt text.
OTHER_HOOKS = {"performance.png"}


@cache
def figures() -> dict[str, object]:
    """Every figure the chapters show, by file name, drawn for flower ``FLOWER`` and ``Network([4, 5, 3], seed=0)``."""
    import backprop_derived as bp

    X, _ = bp.load_iris()
    x = X[FLOWER : FLOWER + 1]  # the flower the chapters use, a row vector (1, 4)
    net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
    net.forward(x)
    hidden, out = net.layer(1), net.layer(2)
    sig_net = bp.Network([4, 5, 3], hidden="relu", output="sigmoid", seed=0)
    sig_net.forward(x)
    a_names = [f"$a_{{{j}}}$" for j in range(1, 6)]
    return {
        "network.png": bp.plots.draw_network(net, input_names=bp.FEATURE_NAMES),
        "jacobian-relu.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("relu", hidden.z), "ReLU: d a / d z of the hidden layer", "output a_i", "input z_j"
        ),
        "jacobian-sigmoid-output.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("sigmoid", sig_net.layer(2).z), "Sigmoid output: d a / d z", "output a_i", "input z_j"
        ),
        "jacobian-dz-dW.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_W(hidden.a, 3),
            "d z_L / d W_L (W_L flattened row by row)",
            "output z_i",
            "weight w_ij",
            col_names=[f"w{i}{j}" for i in range(1, 4) for j in range(1, 6)],
        ),
        "jacobian-softmax.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("softmax", out.z), "Softmax: d a / d z is full", "output a_i", "input z_j"
        ),
        "jacobian-dz-da.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_a_prev(out.W),
            "d z_L / d a_(L-1) = W_L",
            "output z_i",
            "hidden activation",
            col_names=a_names,
        ),
        "computational-graph.png": bp.plots.draw_paths(
            bp.Network([4, 5, 3], seed=0), X[100], weight=(1, 1), input_index=1
        ),
        **_training_figures(bp, X),
    }


def _training_figures(bp, X) -> dict[str, object]:
    """Figures of the pages under training/: what the derivation predicts about training."""
    _, y = bp.load_iris()
    Y, X_std = bp.one_hot(y, 3), bp.standardize(X)
    net = bp.Network([4, 5, 3], seed=0)
    net.forward(X[100:101])
    z_100 = net.layer(2).z[0].copy()  # flower 100's logits, as on the softmax page
    eps = 0.1  # label smoothing as on the softmax page: (1 - eps) y + eps / n
    smoothed = (1 - eps) * np.array([0.0, 0.0, 1.0]) + eps / 3
    deep = [4] + [10] * 10 + [3]
    rng = np.random.default_rng(1)
    X_wide = rng.normal(size=(200, 400))
    variances = {}
    for gain in (4.0, 2.0, 1.0):
        wide = bp.Network([400] * 21 + [10], hidden="relu", output="identity", seed=0)
        for layer in wide.layers[:-1]:
            layer.W *= np.sqrt(gain / wide.layers[0].activation.init_gain)
        wide.forward(X_wide)
        label = f"ReLU, W ~ N(0, {gain:g}/fan_in)" + (" (He, the package)" if gain == 2.0 else "")
        variances[label] = [np.mean(layer.z**2) for layer in wide.layers[:-1]]
    return {
        "softmax-paths.png": bp.plots.plot_softmax_paths(
            z_100,
            {"one-hot": [0.0, 0.0, 1.0], f"label smoothing, eps = {eps:g}": smoothed},
            title="Flower 100: paths from z_c to C through a_k",
        ),
        "gradient-norms.png": bp.plots.plot_gradient_norms(
            {
                "10 sigmoid layers (LeCun)": bp.gradient_norms(bp.Network(deep, hidden="sigmoid", seed=0), X_std, Y),
                "10 ReLU layers (He)": bp.gradient_norms(bp.Network(deep, hidden="relu", seed=0), X_std, Y),
            },
            title="Gradient norm per layer on iris, before training",
        ),
        "init-variance.png": bp.plots.plot_layer_variances(
            variances, title="Mean square of z through 20 ReLU layers of width 400"
        ),
    }


def on_files(files, config):
    for name, fig in figures().items():
        files.append(File.generated(config, f"figures/{name}", content=fig.png_bytes(dpi=110)))
    return files


_MATHJAX = re.compile(
    r'<script src="[^"]*"> </script>\s*<!-- MathJax configuration -->\s*'
    r'<script type="text/x-mathjax-config">.*?</script>',
    re.DOTALL,
)
_MERMAID = re.compile(r'<script type="module">(?:(?!</script>).)*?cdnjs\.cloudflare\.com.*?</script>', re.DOTALL)


_PLACEHOLDER_ALT = re.compile(
    r'<img alt="No description has been provided for this image"( class="[^"]*")? src="data:image/png;base64,([^"]+)"'
)


def png_description(png: bytes) -> str | None:
    """The ``Description`` text of a PNG (where backprop_derived.plots writes its alt text), if any."""
    return Image.open(io.BytesIO(png)).text.get("Description")


# Pages in subfolders link ../figures/; the prefix is kept as written.
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<up>(?:\.\./)*)figures/(?P<name>[^)\s]+)\)")
_FIGURE = re.compile(r"<figure\b.*?</figure>", re.DOTALL)
_CAPTION = "{{ caption }}"


def _markdown_alt(text: str) -> str:
    """Alt text safe inside ``![...]``: no brackets, no newlines."""
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def fill_figures(markdown: str, page: str) -> str:
    """Fill every generated figure's empty alt, and each ``{{ caption }}``, from the figure's data."""
    drawn = figures()

    def alt(match: re.Match) -> str:
        name = match["name"]
        if name in OTHER_HOOKS:
            return match[0]
        if name not in drawn:
            raise PluginError(f"{page}: image figures/{name} is not a figure any hook draws (see figures())")
        if match["alt"].strip():
            raise PluginError(
                f"{page}: figures/{name} has a hand-written alt; write ![](figures/{name}) "
                "and the build fills it in from the figure's data"
            )
        return f"![{_markdown_alt(drawn[name].alt_text)}]({match['up']}figures/{name})"

    def caption(block: re.Match) -> str:
        text = block[0]
        if _CAPTION not in text:
            return text
        names = {m["name"] for m in _IMAGE.finditer(text)} - OTHER_HOOKS
        if len(names) != 1 or not drawn[next(iter(names))].caption:
            raise PluginError(
                f"{page}: {{{{ caption }}}} needs exactly one generated figure with a caption "
                f"in its <figure> block; found {sorted(names)}"
            )
        return text.replace(_CAPTION, html.escape(drawn[names.pop()].caption))

    markdown = _FIGURE.sub(caption, _IMAGE.sub(alt, markdown))
    if _CAPTION in markdown:
        raise PluginError(f"{page}: {{{{ caption }}}} outside a <figure> block")
    return markdown


def on_page_markdown(markdown, page, config, files):
    return fill_figures(markdown, page.file.src_uri)


def _describe(match: re.Match) -> str:
    text = png_description(base64.b64decode(match[2]))
    alt = html.escape(text, quote=True) if text else "Figure produced by the notebook cell above"
    return f'<img alt="{alt}"{match[1] or ""} src="data:image/png;base64,{match[2]}"'


def on_post_page(output, page, config):
    # Material's search overlay is a dialog without a name; screen readers announce it as "Search".
    output = output.replace(
        '<div class="md-search" data-md-component="search" role="dialog">',
        '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">',
        1,
    )
    if page.file.src_uri.startswith("notebooks/"):
        # Code cells scroll sideways; make them reachable with the keyboard.
        output = output.replace(
            '<div class="highlight-ipynb hl-python">', '<div class="highlight-ipynb hl-python" tabindex="0">'
        )
        output = _MERMAID.sub("", _MATHJAX.sub("", output))
        # nbconvert gives every output image a placeholder alt; use the figure's own description.
        output = _PLACEHOLDER_ALT.sub(_describe, output)
    return output
