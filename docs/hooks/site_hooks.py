"""MkDocs hooks for this site, and the rules of its figures.

* ``figures()``: the chapter figures, drawn by ``backprop_derived.plots`` from real objects. The
  pre-build step ``docs/extensions/prebuild.py`` writes them into ``docs/figures/`` (git-ignored),
  each for 2x screens and twice: ``name.png`` on white and ``name-dark.png`` for the dark scheme;
  ``on_pre_build`` runs the same step, so ``mkdocs build`` and ``mkdocs serve`` stay current.
* ``fill_figures``: a page shows a figure as ``![](figures/<name>.png)`` with an **empty** alt;
  the build shows the light and the dark variant (Material's ``#only-light`` and ``#only-dark``),
  each a link to itself at full size, and fills the alt in with the figure's ``alt_text``, which
  ``backprop_derived.plots`` writes from the arrays it draws. Inside the figure's ``<figure>``
  block, ``{{ caption }}`` becomes the figure's ``caption``, a sentence of facts read from the
  same data. So neither can disagree with the data. A hand-written alt on a generated figure, an
  image of a figure no hook draws, or a ``{{ caption }}`` outside a figure block fails the build
  with an error naming page and figure. The Markdown extension ``docs/extensions/fill.py`` applies
  it under any generator, with the alt text and caption read from the PNG files.
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
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np
from mkdocs.exceptions import PluginError
from PIL import Image

#: The running example (docs/notation.md#the-running-example): flower 106, a virginica, standardised
#: with all 150 flowers' mean and standard deviation, through the untrained Network([4, 5, 3], seed=0).
FLOWER = 106

#: Figures drawn by another hook (docs/hooks/benchmark_page.py), whose page writes its own alt text.
OTHER_HOOKS = {"performance.png", "performance-dark.png"}


def running_example(bp, flower: int = FLOWER) -> tuple[np.ndarray, np.ndarray]:
    """The running example: standardised ``flower`` (``FLOWER`` unless told) as a (1, 4) row, and
    its one-hot target (1, 3)."""
    X, y = bp.load_iris()
    return bp.standardize(X)[flower : flower + 1], bp.one_hot(y[flower : flower + 1], 3)


def _hidden_z(bp, net, flower: int) -> np.ndarray:
    """The hidden pre-activations (1, 5) of standardised ``flower`` through ``net``, without touching its cache."""
    x, _ = running_example(bp, flower)
    return x @ net.layer(1).W.T + net.layer(1).b


@cache
def figures() -> dict[str, object]:
    """Every figure the chapters show, by file name; the chapter figures at the running example."""
    import backprop_derived as bp

    X, _ = bp.load_iris()
    x, _ = running_example(bp)  # standardised flower FLOWER, a row vector (1, 4)
    net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
    net.forward(x)
    hidden, out = net.layer(1), net.layer(2)
    sig_net = bp.Network([4, 5, 3], hidden="relu", output="sigmoid", seed=0)
    sig_net.forward(x)
    a_names = [f"$a_{{{j}}}$" for j in range(1, 6)]
    return {
        "network.png": bp.plots.draw_network(net, input_names=bp.FEATURE_NAMES),
        "jacobian-relu.png": bp.plots.plot_jacobian(  # at flower 41, where neurons switch off: 106's is I
            bp.jacobian_a_wrt_z("relu", _hidden_z(bp, net, 41)),
            "ReLU at flower 41: d a / d z of the hidden layer",
            "output a_i",
            "input z_j",
        ),
        "jacobian-sigmoid-output.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("sigmoid", sig_net.layer(2).z), "Sigmoid output: d a / d z", "output a_k", "input z_c"
        ),
        "jacobian-dz-dW.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_W(hidden.a, 3),
            "d z_L / d W_L (W_L flattened row by row)",
            "output z_i",
            "weight w_ij",
            col_names=[f"w{i}{j}" for i in range(1, 4) for j in range(1, 6)],
        ),
        "jacobian-softmax.png": bp.plots.plot_jacobian(
            bp.jacobian_a_wrt_z("softmax", out.z), "Softmax: d a / d z is dense", "output a_k", "input z_c"
        ),
        "jacobian-dz-da.png": bp.plots.plot_jacobian(
            bp.jacobian_z_wrt_a_prev(out.W),
            "d z_L / d a_(L-1) = W_L",
            "output z_i",
            "hidden activation",
            col_names=a_names,
        ),
        "computational-graph.png": bp.plots.draw_paths(  # paths.md's example: the running example too
            bp.Network([4, 5, 3], seed=0), x[0], weight=(1, 1), input_index=1
        ),
        **_training_figures(bp, X),
        **_autodiff_figures(bp),
        "cnn-kernels.png": bp.plots.plot_kernels(
            digits_cnn_kernels(), title="Kernels of the digits CNN after 10 epochs"
        ),
        "residual-gradient-norms.png": _residual_norms_figure(bp),
        **_sequence_figures(),
    }


def _autodiff_figures(bp) -> dict[str, object]:
    """Figures of the pages under autodiff/ drawn from the engine (the engine page's 4-5-3 graph)."""
    from backprop_derived.autodiff import Tensor, softmax_cross_entropy

    x_row, Y = running_example(bp)
    net = bp.Network([4, 5, 3], seed=0)
    W1, b1, W2, b2 = (Tensor(p, requires_grad=True) for p in net.parameters())
    x = Tensor(x_row)
    C = softmax_cross_entropy((x @ W1.T + b1).relu() @ W2.T + b2, Y)
    names = {id(W1): "W1", id(b1): "b1", id(W2): "W2", id(b2): "b2", id(x): "x", id(C): "C"}
    return {
        "autodiff-graph.png": bp.plots.draw_autodiff_graph(C, names),
    }


def _residual_norms_figure(bp):
    """beyond/residual.md: gradient norms of the ten-sigmoid-layer network, plain and with skips around layers 2-10."""
    from backprop_derived.autodiff import Tensor, softmax_cross_entropy

    X, y = bp.load_iris()
    X, Y = bp.standardize(X), bp.one_hot(y, 3)
    net = bp.Network([4] + [10] * 10 + [3], hidden="sigmoid", seed=0)
    norms = {}
    for skip in (False, True):
        params = [Tensor(p, requires_grad=True) for p in net.parameters()]
        W, b = params[0::2], params[1::2]
        h = (Tensor(X) @ W[0].T + b[0]).sigmoid()
        for l in range(1, 10):
            f = (h @ W[l].T + b[l]).sigmoid()
            h = h + (f - 0.5) if skip else f  # the residual page's centred branch
        softmax_cross_entropy(h @ W[10].T + b[10], Y).backward()
        label = "with skips around layers 2 to 10" if skip else "plain (as on the initialisation page)"
        norms[label] = [np.linalg.norm(w.grad) for w in W]
    return bp.plots.plot_gradient_norms(norms, title="Gradient norm per layer, 10 sigmoid layers on iris")


def digits_cnn_kernels() -> np.ndarray:
    """The kernels of the CNN trained on beyond/cnn-digits.md: the page's training block, step for step.

    tests/test_beyond_pages.py runs the page's block and checks that it ends with these kernels.
    """
    import backprop_derived as bp
    from backprop_derived.autodiff import Tensor, conv2d, max_pool2d, softmax_cross_entropy

    images, labels = bp.load_digits()
    X_train, _, y_train, _ = bp.train_test_split(images.reshape(-1, 64), labels, test_fraction=0.25, seed=0)
    X_train = X_train.reshape(-1, 1, 8, 8) / 16
    Y_train = bp.one_hot(y_train, 10)
    rng = np.random.default_rng(0)
    K = Tensor(rng.normal(0, np.sqrt(2 / 9), size=(8, 1, 3, 3)), requires_grad=True)
    b = Tensor(np.zeros(8), requires_grad=True)
    W = Tensor(rng.normal(0, np.sqrt(1 / 128), size=(10, 128)), requires_grad=True)
    c = Tensor(np.zeros(10), requires_grad=True)
    params = [K, b, W, c]
    velocity = [np.zeros(p.shape) for p in params]
    for _ in range(10):
        order = rng.permutation(len(X_train))
        for batch in np.array_split(order, len(order) // 32):
            for p in params:
                p.grad = None
            A = max_pool2d(conv2d(Tensor(X_train[batch]), K, b, padding=1).relu(), 2)
            softmax_cross_entropy(A.reshape(len(batch), 128) @ W.T + c, Y_train[batch]).backward()
            for p, v in zip(params, velocity):
                v *= 0.9
                v -= 0.05 * p.grad
                p.data = p.data + v
    return K.data


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
                "10 sigmoid layers (gain 1)": bp.gradient_norms(bp.Network(deep, hidden="sigmoid", seed=0), X_std, Y),
                "10 ReLU layers (He, gain 2)": bp.gradient_norms(bp.Network(deep, hidden="relu", seed=0), X_std, Y),
            },
            title="Gradient norm per layer on iris, before training",
        ),
        "init-variance.png": bp.plots.plot_layer_variances(
            variances, title="Mean square of z through 20 ReLU layers of width 400"
        ),
    }


def _sequence_figures() -> dict[str, object]:
    """Figures of beyond/sequence-model.md, from the runs its blocks make (same data, seeds and settings)."""
    import backprop_derived as bp
    from backprop_derived import sequence_models as sm

    X, y = sm.adding_problem(256, 10, seed=0)
    X_test, y_test = sm.adding_problem(256, 10, seed=1)
    baseline = float(np.mean((y_test - y.mean()) ** 2))
    rnn_model, attention_model = sm.RNNModel(16, seed=0), sm.AttentionModel(8, seed=0)
    before = sm.state_gradient_norms(rnn_model, X, y)
    rnn_history = sm.fit(rnn_model, X, y, X_test, y_test, steps=300, learning_rate=0.02)
    attention_history = sm.fit(attention_model, X, y, X_test, y_test, steps=300, learning_rate=0.05)
    after = sm.state_gradient_norms(rnn_model, X, y)
    return {
        "sequence-learning-curves.png": bp.plots.plot_learning_curves(
            {"RNN, test loss": rnn_history["test"], "attention, test loss": attention_history["test"]},
            baseline=baseline,
            title="The adding problem, T = 10: test loss during training",
        ),
        "rnn-gradient-through-time.png": bp.plots.plot_gradient_through_time(
            {"before training": before, "after 300 steps": after},
            title="RNN on the adding problem: |dC/dh_t| at each step",
        ),
    }


def dark_name(name: str) -> str:
    """The file of a figure's dark variant: ``network.png`` -> ``network-dark.png``."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-dark{dot}{ext}"


def _prebuild():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "extensions" / "prebuild.py"
    spec = importlib.util.spec_from_file_location("backprop_site_prebuild", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_pre_build(config):
    # The pre-build step itself (docs/extensions/prebuild.py), into this build's docs folder: a file
    # already up to date is not rewritten, so mkdocs serve does not rebuild for nothing.
    prebuild = _prebuild()
    prebuild.write_figures(Path(config.docs_dir) / "figures")


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


def fill_figures(markdown: str, page: str, described: Mapping[str, tuple[str, str]] | None = None) -> str:
    """Fill every generated figure's empty alt, and each ``{{ caption }}``, from the figure's data.

    ``described`` maps each figure's file name to its (alt text, caption); by default they are
    taken from the figures drawn by ``figures()``, and the Markdown extension passes the ones it
    reads from the PNG files.
    """
    if described is None:
        described = {name: (fig.alt_text, fig.caption) for name, fig in figures().items()}

    def pair(alt: str, up: str, name: str) -> str:
        # Material shows #only-light in the light scheme and #only-dark in the dark one; a tap or a
        # click opens the figure at full size (a wide one is small on a phone).
        path = f"{up}figures/"
        return "".join(
            f"[![{alt}]({path}{file}#only-{scheme})]({path}{file})"
            for file, scheme in ((name, "light"), (dark_name(name), "dark"))
        )

    def alt(match: re.Match) -> str:
        name = match["name"]
        if name in OTHER_HOOKS:  # its page writes the alt text (with the benchmark's numbers)
            return pair(match["alt"], match["up"], name)
        if name not in described:
            raise PluginError(f"{page}: image figures/{name} is not a figure any hook draws (see figures())")
        if match["alt"].strip():
            raise PluginError(
                f"{page}: figures/{name} has a hand-written alt; write ![](figures/{name}) "
                "and the build fills it in from the figure's data"
            )
        return pair(_markdown_alt(described[name][0]), match["up"], name)

    def caption(block: re.Match) -> str:
        text = block[0]
        if _CAPTION not in text:
            return text
        names = {m["name"] for m in _IMAGE.finditer(text)} - OTHER_HOOKS
        if len(names) != 1 or next(iter(names)) not in described or not described[next(iter(names))][1]:
            raise PluginError(
                f"{page}: {{{{ caption }}}} needs exactly one generated figure with a caption "
                f"in its <figure> block; found {sorted(names)}"
            )
        return text.replace(_CAPTION, html.escape(described[names.pop()][1]))

    markdown = _IMAGE.sub(alt, _FIGURE.sub(caption, markdown))
    if _CAPTION in markdown:
        raise PluginError(f"{page}: {{{{ caption }}}} outside a <figure> block")
    return markdown


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
