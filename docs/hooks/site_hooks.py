"""MkDocs hooks for this site.

* ``on_files``: the chapter figures are drawn by ``backprop.plots`` from real objects at every
  build and added to the site as generated files (nothing is written into docs/).
* ``on_post_page``: names Material's search dialog for screen readers; and nbconvert's template puts a MathJax loader and a Mermaid loader (both from a
  CDN) on notebook pages. The site renders notebook math with its own KaTeX and has no diagrams,
  so both are removed and no page names another host in a script.
"""

from __future__ import annotations

import base64
import html
import re
import struct
import zlib

import numpy as np
from mkdocs.structure.files import File


def figures() -> dict[str, object]:
    """Every figure the chapters show, by file name; each drawn from a seeded ``backprop`` network."""
    import backprop as bp

    X, _ = bp.load_iris()
    net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
    net.forward(X[:1])  # the first flower, a row vector (1, 4)
    hidden, out = net.layer(1), net.layer(2)
    sig_net = bp.Network([4, 5, 3], hidden="relu", output="sigmoid", seed=0)
    sig_net.forward(X[:1])
    a_names = [f"$a_{{{j}}}$" for j in range(1, 6)]
    return {
        "network.png": bp.plots.draw_network(net, input_names=bp.FEATURE_NAMES),
        "jacobian-relu.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("relu", hidden.z), "ReLU: d a / d z of the hidden layer",
            "output a_i", "input z_j"),
        "jacobian-sigmoid-output.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("sigmoid", sig_net.layer(2).z), "Sigmoid output: d a / d z",
            "output a_i", "input z_j"),
        "jacobian-dz-dW.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_W(hidden.a, 3), "d z_L / d W_L (W_L flattened row by row)",
            "output z_i", "weight w_ij",
            col_names=[f"w{i}{j}" for i in range(1, 4) for j in range(1, 6)]),
        "jacobian-softmax.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("softmax", out.z), "Softmax: d a / d z is full",
            "output a_i", "input z_j"),
        "jacobian-dz-da.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_a_prev(out.W), "d z_L / d a_(L-1) = W_L", "output z_i", "hidden activation",
            col_names=a_names),
        **_training_figures(bp, X),
    }


def _training_figures(bp, X) -> dict[str, object]:
    """Figures of the pages under training/: what the derivation predicts about training."""
    _, y = bp.load_iris()
    Y, X_std = bp.one_hot(y, 3), bp.standardize(X)
    net = bp.Network([4, 5, 3], seed=0)
    net.forward(X[100:101])
    z_100 = net.layer(2).z[0].copy()  # flower 100's logits, as on the softmax page
    smoothed = 0.9 * np.array([0.0, 0.0, 1.0]) + 0.1 / 3
    (dW1, _), _ = net.gradients(X[::10], Y[::10])
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
        variances[label] = [np.mean(layer.z ** 2) for layer in wide.layers[:-1]]
    return {
        "softmax-paths.png": bp.plots.plot_softmax_paths(
            z_100, {"one-hot": [0.0, 0.0, 1.0], "label smoothing": smoothed},
            title="Flower 100: paths from z_c to C through a_k"),
        "gradient-layouts.png": bp.plots.plot_gradient_layouts(
            {"this site, W (out, in)": dW1, "Nielsen, w (out, in)": dW1, "D2L and CS231n, W (in, out)": dW1.T},
            title="dC/dW_1 of the 4-5-3 network in three layouts"),
        "gradient-norms.png": bp.plots.plot_gradient_norms(
            {"10 sigmoid layers (LeCun)": bp.gradient_norms(bp.Network(deep, hidden="sigmoid", seed=0), X_std, Y),
             "10 ReLU layers (He)": bp.gradient_norms(bp.Network(deep, hidden="relu", seed=0), X_std, Y)},
            title="Gradient norm per layer on iris, before training"),
        "init-variance.png": bp.plots.plot_layer_variances(
            variances, title="Mean square of z through 20 ReLU layers of width 400"),
    }


def on_files(files, config):
    import matplotlib

    matplotlib.use("Agg")
    np.random.seed(0)  # nothing here should draw from the global generator; pin it regardless
    for name, fig in figures().items():
        files.append(File.generated(config, f"figures/{name}", content=fig.png_bytes(dpi=110)))
    return files


_MATHJAX = re.compile(
    r'<script src="[^"]*"> </script>\s*<!-- MathJax configuration -->\s*'
    r'<script type="text/x-mathjax-config">.*?</script>',
    re.S,
)
_MERMAID = re.compile(r'<script type="module">(?:(?!</script>).)*?cdnjs\.cloudflare\.com.*?</script>', re.S)


_PLACEHOLDER_ALT = re.compile(
    r'<img alt="No description has been provided for this image"( class="[^"]*")? src="data:image/png;base64,([^"]+)"'
)


def png_description(png: bytes) -> str | None:
    """The ``Description`` text chunk of a PNG (where backprop.plots writes its alt text), if any."""
    pos = 8  # past the PNG signature
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and data.startswith(b"Description\0"):
            return data.split(b"\0", 1)[1].decode("latin-1")
        if kind == b"zTXt" and data.startswith(b"Description\0"):
            return zlib.decompress(data.split(b"\0", 1)[1][1:]).decode("latin-1")
        if kind == b"iTXt" and data.startswith(b"Description\0"):
            flag, _method = data[12], data[13]
            text = data[14:].split(b"\0", 2)[2]
            return (zlib.decompress(text) if flag else text).decode("utf-8")
        pos += 12 + length
    return None


def _describe(match: re.Match) -> str:
    text = png_description(base64.b64decode(match[2]))
    alt = html.escape(text, quote=True) if text else "Figure produced by the notebook cell above"
    return f'<img alt="{alt}"{match[1] or ""} src="data:image/png;base64,{match[2]}"'


def on_post_page(output, page, config):
    # Material's search overlay is a dialog without a name; screen readers announce it as "Search".
    output = output.replace('<div class="md-search" data-md-component="search" role="dialog">',
                            '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">', 1)
    if page.file.src_uri.startswith("notebooks/"):
        # Code cells scroll sideways; make them reachable with the keyboard.
        output = output.replace('<div class="highlight-ipynb hl-python">',
                                '<div class="highlight-ipynb hl-python" tabindex="0">')
        output = _MERMAID.sub("", _MATHJAX.sub("", output))
        # nbconvert gives every output image a placeholder alt; use the figure's own description.
        output = _PLACEHOLDER_ALT.sub(_describe, output)
    return output
