"""Figures drawn from real objects: the network diagram, Jacobian heatmaps, training curves,
a confusion matrix and decision regions.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so no global figure
state is left behind; save it with ``fig.savefig(path)``, or leave it as the last expression of a
Jupyter cell to display it.

How a figure looks is decided in one place, this module's top: a new figure function draws in
black on white as usual and writes a number inside a coloured cell with ``cell_label`` (black or
white, whichever contrasts more with the cell). ``Figure.png_bytes`` then draws it for 2x screens,
and with ``dark=True`` for the site's dark scheme: greys are inverted onto ``DARK_BACKGROUND``,
colours lightened, and colour-mapped cells with their labels left as they are.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import Collection
from matplotlib.colors import ListedColormap, TwoSlopeNorm, to_rgba
from matplotlib.figure import Figure as _MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from numpy.typing import ArrayLike

from ._checks import as_batch, finite, float_array, labels, matrix, positive_number
from .data import CLASS_NAMES

if TYPE_CHECKING:
    from .network import Network
    from .training import History


#: Dots per inch of a saved figure: twice the 96 of a CSS pixel, rounded up, so a figure is sharp on
#: a 2x screen (the site's build shows a PNG of 190 dpi or more at half its pixel size).
DPI = 200
#: The dark variant's background (Material's slate scheme, ``--md-default-bg-color``) and ink.
DARK_BACKGROUND = "#1e2029"
DARK_INK = "#e3e5ea"
#: The ``gid`` of a number written inside a colour-mapped cell (``cell_label``): the dark variant
#: keeps its colour, chosen against the cell, which does not change.
CELL_LABEL = "cell-label"


def relative_luminance(colour: Any) -> float:
    """WCAG 2 relative luminance of a matplotlib colour."""
    channels = np.array(to_rgba(colour)[:3])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(colour_1: Any, colour_2: Any) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((relative_luminance(colour_1), relative_luminance(colour_2)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def cell_label(ax: Any, x: float, y: float, text: str, cell_colour: Any, **kwargs: Any) -> Text:
    """Write ``text`` centred on a coloured cell, in black or white, whichever contrasts more with it
    (at least 4.58:1 for any cell colour)."""
    ink = "black" if contrast("black", cell_colour) >= contrast("white", cell_colour) else "white"
    return ax.text(x, y, text, ha="center", va="center", color=ink, gid=CELL_LABEL, **kwargs)


def _dark(colour: Any) -> tuple[float, float, float, float]:
    """A colour of the light figure as the dark variant draws it."""
    r, g, b, a = to_rgba(colour)
    if a == 0:
        return (r, g, b, a)
    if max(r, g, b) - min(r, g, b) > 0.08:  # a colour: lightened towards white, to stand out on dark
        r, g, b = (float(v) for v in np.array([r, g, b]) * 0.65 + 0.35)
        return (r, g, b, a)
    light = (r + g + b) / 3  # a grey: white becomes the background, black the ink
    background, ink = np.array(to_rgba(DARK_BACKGROUND)[:3]), np.array(to_rgba(DARK_INK)[:3])
    r, g, b = (float(v) for v in background + (ink - background) * (1 - light))
    return (r, g, b, a)


def _colour_mapped(artist: Artist) -> bool:
    return getattr(artist, "get_array", lambda: None)() is not None


def _to_dark(fig: _MplFigure) -> None:
    """Recolour ``fig`` in place for the dark scheme (see the module's docstring)."""
    for artist in fig.findobj():
        if artist.get_gid() == CELL_LABEL or _colour_mapped(artist):
            continue
        if isinstance(artist, Text):
            artist.set_color(_dark(artist.get_color()))
        elif isinstance(artist, Line2D):
            artist.set_color(_dark(artist.get_color()))
            artist.set_markerfacecolor(_dark(artist.get_markerfacecolor()))
            artist.set_markeredgecolor(_dark(artist.get_markeredgecolor()))
        elif isinstance(artist, Patch):
            artist.set_facecolor(_dark(artist.get_facecolor()))
            artist.set_edgecolor(_dark(artist.get_edgecolor()))
        elif isinstance(artist, Collection):
            artist.set_facecolor([_dark(c) for c in artist.get_facecolor()])
            artist.set_edgecolor([_dark(c) for c in artist.get_edgecolor()])


class Figure(_MplFigure):
    """A matplotlib ``Figure`` that Jupyter shows as a PNG, with no pyplot state involved.

    ``alt_text`` describes the figure for readers who cannot see it; it is written into the PNG
    as its ``Description``, where the site's build finds it and uses it as the image's alt text.
    """

    alt_text = "A figure drawn by backprop_derived.plots"
    #: One sentence of facts read from the figure's data, for a caption (the site's build puts it
    #: where a page writes ``{{ caption }}`` inside the figure's ``<figure>`` block).
    caption = ""

    def dark(self) -> Figure:
        """A copy of this figure recoloured for a dark page (the figure itself is left as it is)."""
        copy = pickle.loads(pickle.dumps(self))
        copy.set_facecolor(DARK_BACKGROUND)
        _to_dark(copy)
        return copy

    def png_bytes(self, dpi: int = DPI, dark: bool = False) -> bytes:
        """The figure as PNG bytes, on white or (``dark``) on ``DARK_BACKGROUND``, with ``alt_text``
        as the PNG's Description."""
        fig = self.dark() if dark else self
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            facecolor=DARK_BACKGROUND if dark else "white",
            metadata={"Description": self.alt_text, "Software": None},
        )
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png_bytes()


def draw_network(net: Network, input_names: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """The layers of ``net`` as columns of neurons, edges coloured and sized by their weight.

    Red edges are positive weights, blue negative (as in the site's heat maps); the line width grows
    with ``|w_ij|`` (affinely, from 0.4 to 3.0 points). Neuron ``k`` of layer ``l`` is labelled
    ``a_k^[l]``, so the layer is never left to the reader.
    """
    sizes = net.sizes
    fig = Figure(figsize=(1.9 * len(sizes) + 1.5, 0.75 * max(sizes) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n)[::-1] for n in sizes]
    w_max = max(float(np.abs(layer.W).max()) for layer in net.layers) or 1.0
    for l, layer in enumerate(net.layers, start=1):
        for i in range(layer.n_neurons):
            for j in range(layer.n_inputs):
                w = layer.W[i, j]
                ax.plot(
                    [l - 1, l],
                    [ys[l - 1][j], ys[l][i]],
                    color="#c0392b" if w > 0 else "#1f5fbf",
                    lw=0.4 + 2.6 * abs(w) / w_max,
                    alpha=0.75,
                    zorder=1,
                )
    for l, y_l in enumerate(ys):
        name = "input x" if l == 0 else (f"output (layer {l})" if l == len(sizes) - 1 else f"hidden (layer {l})")
        act = "" if l == 0 else f"\n{net.layers[l - 1].activation.name}"
        ax.scatter(np.full(len(y_l), l), y_l, s=700, color="white", edgecolors="black", zorder=2)
        for k, y in enumerate(y_l, start=1):
            label = f"$x_{k}$" if l == 0 else f"$a_{k}^{{[{l}]}}$"  # the layer on every node
            ax.text(l, y, label, ha="center", va="center", fontsize=10 if l == 0 else 9, zorder=3)
        ax.text(l, y_l[-1] - 0.9, name + act, ha="center", va="top", fontsize=9)
    if input_names is not None:
        for y, label in zip(ys[0], input_names):
            ax.text(-0.25, y, label, ha="right", va="center", fontsize=9)
    ax.set_xlim(-1.6 if input_names is not None else -0.5, len(sizes) - 0.5)
    ax.set_ylim(min(y[-1] for y in ys) - 1.8, max(y[0] for y in ys) + 0.6)
    ax.set_axis_off()
    ax.set_title(title or "-".join(map(str, sizes)) + " network: red w > 0, blue w < 0, wider for larger |w|")
    weights = np.concatenate([layer.W.ravel() for layer in net.layers])
    fig.caption = (
        f"{weights.size} weights, one edge each: {int(np.sum(weights > 0))} positive (red) and "
        f"{int(np.sum(weights < 0))} negative (blue)"
    )
    fig.alt_text = (
        f"Diagram of a {'-'.join(map(str, sizes))} network: columns of neurons joined by one "
        f"edge per weight, red for positive and blue for negative weights, wider for larger ones; "
        f"{fig.caption}"
    )
    return fig


def plot_jacobian(
    J: ArrayLike,
    title: str,
    row_label: str,
    col_label: str,
    row_names: Sequence[str] | None = None,
    col_names: Sequence[str] | None = None,
) -> Figure:
    """A heatmap of a Jacobian (rows = outputs, columns = inputs), zero in white, with its values."""
    J = matrix(J, "J")
    fig = Figure(figsize=(max(3.2, 0.55 * J.shape[1] + 2.2), max(2.6, 0.55 * J.shape[0] + 1.6)), layout="constrained")
    ax = fig.add_subplot()
    lim = float(np.abs(J).max()) or 1.0
    im = ax.imshow(J, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim))
    for (r, c), v in np.ndenumerate(J):
        if v != 0:
            cell_label(ax, c, r, f"{v:.2g}", im.to_rgba(v), fontsize=7)
    ax.set_xticks(
        range(J.shape[1]),
        [str(n) for n in (col_names if col_names is not None else range(1, J.shape[1] + 1))],
        fontsize=7,
        rotation=90 if J.shape[1] > 8 else 0,
    )
    ax.set_yticks(
        range(J.shape[0]),
        [str(n) for n in (row_names if row_names is not None else range(1, J.shape[0] + 1))],
        fontsize=8,
    )
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.set_title(f"{title}  ({J.shape[0]} x {J.shape[1]})", fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.caption = _zero_pattern(J, row_names, col_names)
    fig.alt_text = (
        f"Heat map of the {J.shape[0]} by {J.shape[1]} Jacobian '{title}', rows {row_label}, "
        f"columns {col_label}: {fig.caption}"
    )
    return fig


def _names(indices: Sequence[int] | np.ndarray, names: Sequence[str] | None) -> str:
    """``[0, 1, 4]`` as "1, 2 and 5" (1-based), or as the given names."""
    words = [str(names[k]) if names is not None else str(k + 1) for k in indices]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _zero_pattern(J: np.ndarray, row_names: Sequence[str] | None = None, col_names: Sequence[str] | None = None) -> str:
    """Where a Jacobian is zero, read from its values: the sentence its caption and alt text use."""
    off_diagonal = J.shape[0] == J.shape[1] and not np.any(J[~np.eye(len(J), dtype=bool)])
    if off_diagonal:
        on = np.flatnonzero(np.diag(J))
        off = np.flatnonzero(np.diag(J) == 0)
        text = "diagonal"
        if len(on):
            text += f", non-zero at {_names(on, row_names)}"
        if len(off):
            text += f", zero at {_names(off, row_names)}"
        return text
    if np.all(J != 0):
        text = f"every entry is non-zero, {int(np.sum(J > 0))} positive and {int(np.sum(J < 0))} negative"
        if J.shape[0] == J.shape[1] and np.all(np.diag(J) > 0) and np.all(J[~np.eye(len(J), dtype=bool)] < 0):
            text += ": positive on the diagonal, negative off it"
        return text
    parts = [f"{np.count_nonzero(J)} of {J.size} entries are non-zero"]
    zero_cols = np.flatnonzero(~J.any(axis=0))
    zero_rows = np.flatnonzero(~J.any(axis=1))
    if len(zero_cols):
        parts.append(f"all-zero columns: {_names(zero_cols, col_names)}")
    if len(zero_rows):
        parts.append(f"all-zero rows: {_names(zero_rows, row_names)}")
    return "; ".join(parts)


def plot_history(history: History, title: str = "Training on iris") -> Figure:
    """Loss and accuracy per epoch, training and (when recorded) test, side by side.

    The cost axis is labelled "cost C" whatever the network's cost (``History`` does not record
    which); on the site's pages it is the cross-entropy, in nats.
    """
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(1, history.epochs + 1)
    ax_loss.plot(epochs, history.loss, label="training")
    ax_acc.plot(epochs, history.accuracy, label="training")
    if history.test_loss:
        ax_loss.plot(epochs, history.test_loss, label="test", ls="--")
        ax_acc.plot(epochs, history.test_accuracy, label="test", ls="--")
    ax_loss.set(xlabel="epoch", ylabel="cost C", title="Cost per epoch")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (fraction correct)", title="Accuracy per epoch", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    test_cost = ""
    if history.test_loss:
        t = np.asarray(history.test_loss)
        low = int(np.argmin(t))
        test_cost = f", and (dashed) from {t[0]:.2f} to {t[-1]:.3f} on the test set"
        test_cost += f", not monotonically, lowest {t[low]:.3f} at epoch {low + 1}" if np.any(np.diff(t) > 0) else ""
    fig.alt_text = (
        f"{title}. Left: cost per epoch, falling from {history.loss[0]:.2f} to "
        f"{history.loss[-1]:.2f} on the training set{test_cost}. Right: accuracy per epoch, ending at "
        f"{history.accuracy[-1]:.1%} on the training set"
        + (f" and {history.test_accuracy[-1]:.1%} on the test set." if history.test_accuracy else ".")
    )
    return fig


def plot_confusion(
    C: ArrayLike, class_names: Sequence[str] = CLASS_NAMES, title: str = "Confusion matrix (test set)"
) -> Figure:
    """A confusion matrix ``C[t, p]`` (true class t predicted as p) with its counts written in."""
    counts = matrix(C, "C")
    if counts.shape != (len(class_names), len(class_names)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError(
            f"C must be a ({len(class_names)}, {len(class_names)}) matrix of counts, one row and column per class; "
            f"got shape {counts.shape}"
        )
    C = counts.astype(np.int64)
    fig = Figure(figsize=(4.6, 3.9), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(C, cmap="Blues")
    for (t, p), v in np.ndenumerate(C):
        cell_label(ax, p, t, str(v), im.to_rgba(v))
    ax.set_xticks(range(len(class_names)), class_names)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set(xlabel="predicted species", ylabel="true species", title=title)
    fig.colorbar(im, ax=ax, shrink=0.8, label="flowers")
    cells = "; ".join(
        f"{class_names[t]} predicted as {class_names[p]}: {C[t, p]}"
        for t in range(len(C))
        for p in range(len(C))
        if C[t, p]
    )
    fig.alt_text = f"{title}. {cells}."
    return fig


def plot_decision_regions(
    net: Network,
    X2: ArrayLike,
    y: ArrayLike,
    feature_names: Sequence[str] = ("petal length (cm)", "petal width (cm)"),
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    class_names: Sequence[str] = CLASS_NAMES,
    title: str = "Decision regions",
) -> Figure:
    """The class ``net`` predicts over a grid of two features, with the data points on top.

    ``X2`` (m, 2) holds the points in their original units; ``transform`` (optional) maps such
    points to what the network expects, e.g. the standardisation used in training. Points the
    network gets wrong are ringed in red; the alt text counts them, and the distinct positions,
    since points at the same position are drawn on top of one another.
    """
    X2 = as_batch(X2, 2, "X2")
    y = labels(y, len(class_names))
    if y.shape != (X2.shape[0],):
        raise ValueError(f"y must hold one label per row of X2, shape ({X2.shape[0]},); got shape {y.shape}")
    pad = 0.5
    g0, g1 = np.meshgrid(
        np.linspace(X2[:, 0].min() - pad, X2[:, 0].max() + pad, 300),
        np.linspace(X2[:, 1].min() - pad, X2[:, 1].max() + pad, 300),
    )
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    pred = net.predict(transform(grid) if transform else grid).reshape(g0.shape)
    at_points = net.predict(transform(X2) if transform else X2)
    wrong = at_points != y
    colours = ["#4c72b0", "#dd8452", "#55a868"]
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.contourf(g0, g1, pred, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(colours), alpha=0.3)
    for k, name in enumerate(class_names):
        pts = X2[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], color=colours[k], edgecolors="black", s=28, label=name)
    ax.scatter(
        X2[wrong, 0], X2[wrong, 1], facecolors="none", edgecolors="red", s=110, linewidths=1.5, label="misclassified"
    )
    ax.set(xlabel=feature_names[0], ylabel=feature_names[1], title=title)
    ax.legend(title="species")
    positions = len(np.unique(X2, axis=0))
    k = len(class_names)
    confusions = np.bincount(y[wrong] * k + at_points[wrong], minlength=k * k).reshape(k, k)  # true, predicted
    errors = "; ".join(
        f"{n} {class_names[t]} predicted as {class_names[p]}" for (t, p), n in np.ndenumerate(confusions) if n
    )
    fig.alt_text = (
        f"{title}: coloured regions show the class predicted over the plane of "
        f"{feature_names[0]} and {feature_names[1]}, with the {len(y)} data points drawn on top at "
        f"{positions} distinct positions{', so some hide others' if positions < len(y) else ''}. "
        f"{int(wrong.sum())} {'is' if wrong.sum() == 1 else 'are'} misclassified, ringed in red"
        + (f": {errors}." if errors else ".")
    )
    return fig


def draw_paths(net: Network, x: ArrayLike, weight: tuple[int, int] = (1, 1), input_index: int = 1) -> Figure:
    """The computational graph of a one-hidden-layer ``net`` for one observation ``x``, twice.

    Columns ``x -> z_1 -> a_1 -> z_2 -> C`` (softmax and cost drawn as one node, whose derivative
    is ``a_L - y``). Top: the paths from hidden weight ``w_ij`` (``weight = (i, j)``, 1-based) to
    ``C``; bottom: the paths from input ``x_k`` (``input_index = k``). A path through a hidden neuron
    whose ReLU is off is dashed grey on every edge up to the output layer, its edge from ``x`` included:
    its product contains a zero factor. The edges into ``C`` are shared with live paths and stay solid.
    """
    if net.L != 2:
        raise ValueError(f"draw_paths draws networks with one hidden layer (L = 2); got L = {net.L}")
    n_in, n_hid, n_out = net.sizes
    i, j = weight
    if not (1 <= i <= n_hid and 1 <= j <= n_in and 1 <= input_index <= n_in):
        raise ValueError(
            f"weight must index W_1 of shape ({n_hid}, {n_in}) and input_index an input "
            f"1..{n_in}, 1-based; got weight={weight}, input_index={input_index}"
        )
    net.forward(as_batch(np.reshape(float_array(x, "x"), (1, -1)), n_in, "x"))
    active = cast(np.ndarray, net.layer(1).z)[0] > 0  # z is set by the forward pass just above
    cols = [("x", n_in), ("z^{[1]}", n_hid), ("a^{[1]}", n_hid), ("z^{[2]}", n_out), ("C", 1)]
    ys = [np.linspace((n - 1) / 2, -(n - 1) / 2, n) for _, n in cols]
    edges = (
        [(0, q, 1, p) for p in range(n_hid) for q in range(n_in)]
        + [(1, p, 2, p) for p in range(n_hid)]
        + [(2, p, 3, k) for k in range(n_out) for p in range(n_hid)]
        + [(3, k, 4, 0) for k in range(n_out)]
    )

    fig = Figure(figsize=(7.5, 8.4), layout="constrained")
    panels = []
    for ax, source in zip(fig.subplots(2, 1), ("weight", "input")):
        if source == "weight":  # w_ij enters z_i only, then a_i, then every output neuron
            hidden_on_path = [i - 1]
            on_path = {(1, i - 1, 2, i - 1)} | {(2, i - 1, 3, k) for k in range(n_out)}
        else:  # x_k enters every hidden z
            hidden_on_path = list(range(n_hid))
            on_path = (
                {(0, input_index - 1, 1, p) for p in range(n_hid)}
                | {(1, p, 2, p) for p in range(n_hid)}
                | {(2, p, 3, k) for p in range(n_hid) for k in range(n_out)}
            )
        on_path |= {(3, k, 4, 0) for k in range(n_out)}
        for c0, r0, c1, r1 in edges:
            xy = ([c0, c1], [ys[c0][r0], ys[c1][r1]])
            # the hidden neuron an edge belongs to: x -> z_p ends at it, z_p -> a_p and a_p -> z_k start at it
            hidden = r1 if c0 == 0 else r0 if c0 in (1, 2) else None
            if (c0, r0, c1, r1) not in on_path:
                ax.plot(*xy, color="#d0d0d0", lw=0.6, zorder=1)
            elif hidden is not None and not active[hidden]:
                ax.plot(*xy, color="#888888", lw=1.4, ls="--", zorder=1)
            else:
                ax.plot(*xy, color="#1f5fbf", lw=2.0, zorder=1)
        for c, (name, n) in enumerate(cols):
            ax.scatter(np.full(n, c), ys[c], s=620, color="white", edgecolors="black", zorder=2)
            for r in range(n):
                label = "$C$" if name == "C" else f"${name[0]}_{r + 1}{name[1:]}$"
                ax.text(c, ys[c][r], label, ha="center", va="center", fontsize=9, zorder=3)
        if source == "weight":
            ax.annotate(
                f"$w^{{[1]}}_{{{i}{j}}}$",
                xy=(0.86, ys[1][i - 1] + 0.12),
                xytext=(0.3, ys[1][i - 1] + 0.9),
                fontsize=10,
                color="#1f5fbf",
                arrowprops={"arrowstyle": "->", "color": "#1f5fbf"},
            )
        n_paths = len(hidden_on_path) * n_out
        n_dead = sum(not active[p] for p in hidden_on_path) * n_out
        what = f"hidden weight w_{i}{j} of layer 1" if source == "weight" else f"input x_{input_index}"
        shown = f"hidden weight $w^{{[1]}}_{{{i}{j}}}$" if source == "weight" else f"input $x_{{{input_index}}}$"
        ax.set_title(
            f"{n_paths} paths from {shown} to $C$"
            + (f" ({n_dead} through a switched-off ReLU, dashed)" if n_dead else ""),
            fontsize=10,
        )
        ax.set_xlim(-0.5, 4.5)
        ax.set_ylim(-(max(n for _, n in cols) + 1) / 2, (max(n for _, n in cols) + 1) / 2 + 0.6)
        ax.set_axis_off()
        panels.append((what, n_paths, n_dead))
    off = [p + 1 for p in range(n_hid) if not active[p]]
    fig.alt_text = (
        f"Two copies of the computational graph of the {'-'.join(map(str, net.sizes))} network for one "
        f"observation, in columns x, z1, a1, z2 and C. "
        + " ".join(
            f"{'Top' if k == 0 else 'Bottom'}: the {n} paths from {what} to C are highlighted"
            + (
                f", {d} of them dashed grey because they pass through a hidden neuron whose ReLU is off."
                if d
                else " in blue, none through a switched-off ReLU."
            )
            for k, (what, n, d) in enumerate(panels)
        )
        + (f" Hidden neurons switched off: {', '.join(map(str, off))}." if off else "")
    )
    return fig


def _shared_scale_panels(mats: Mapping[str, np.ndarray], width: float) -> tuple[Figure, list, float]:
    """Heat maps of ``mats`` side by side on one diverging colour scale centred at 0 (zero is white).

    Returns the figure, its axes (one a matrix, in order) and the scale's limit ``max |entry|``.
    """
    fig = Figure(figsize=(width * len(mats) + 0.8, 3.6), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(1, len(mats))))
    lim = max(float(np.abs(M).max()) for M in mats.values()) or 1.0
    images = [ax.imshow(M, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim)) for ax, M in zip(axes, mats.values())]
    fig.colorbar(images[-1], ax=axes, shrink=0.8)
    return fig, axes, lim


def plot_softmax_paths(
    z: ArrayLike, targets: Mapping[str, ArrayLike], title: str = "Paths from z_c to C through a_k"
) -> Figure:
    """The terms of ``dC/dz_c = sum_k (dC/da_k)(da_k/dz_c)`` for softmax with cross-entropy, one panel a target.

    ``z`` (n,) holds one row of logits; ``targets`` maps a label to a target row ``y`` (n,) summing
    to 1. Cell ``(k, c)`` is the path through ``a_k``: ``(-y_k / a_k) a_k (delta_kc - a_c)``; a column's
    sum is ``dC/dz_c``. A one-hot ``y`` leaves one non-zero row, soft targets fill every row.
    """
    z = finite(float_array(z, "z"), "z")
    if z.ndim != 1:
        raise ValueError(f"z must be one row of logits, shape (n,); got shape {z.shape}")
    a = np.exp(z - z.max())
    a /= a.sum()
    J = np.diag(a) - np.outer(a, a)
    panels = {}
    for label, y in targets.items():
        y = finite(float_array(y, f"target {label!r}"), f"target {label!r}")
        if y.shape != z.shape:
            raise ValueError(f"target {label!r} must have shape {z.shape}; got {y.shape}")
        panels[label] = (-y / a)[:, None] * J
    n = z.size
    fig, axes, _ = _shared_scale_panels(panels, width=4.2)
    for ax, (label, P) in zip(axes, panels.items()):
        image = ax.get_images()[0]
        for (k, c), v in np.ndenumerate(P):
            cell_label(ax, c, k, f"{v:.2g}" if v != 0 else "0", image.to_rgba(v), fontsize=8)
        ax.set_xticks(range(n), [f"$z_{c + 1}$" for c in range(n)])
        ax.set_yticks(range(n), [f"via $a_{k + 1}$" for k in range(n)])
        ax.set_title(f"{label}: {np.count_nonzero(P)} of {P.size} paths non-zero", fontsize=10)
    fig.suptitle(title)
    counts = "; ".join(
        f"{label}: {np.count_nonzero(P)} of {P.size} path terms non-zero, "
        f"all in {np.count_nonzero(P.any(axis=1))} of {n} rows"
        for label, P in panels.items()
    )
    fig.alt_text = (
        f"{title}. Heat maps of the {n} by {n} path terms (rows: through output a_k, columns: "
        f"logit z_c), one per target. {counts}."
    )
    return fig


def plot_gradient_layouts(layouts: Mapping[str, ArrayLike], title: str = "One gradient, three layouts") -> Figure:
    """Heat maps of the same weight gradient as each convention stores it, one panel a convention.

    ``layouts`` maps a label to a matrix; the panels share one colour scale, so a transpose shows
    as the same colours with rows and columns swapped.
    """
    mats = {label: matrix(M, f"layout {label!r}") for label, M in layouts.items()}
    fig, axes, _ = _shared_scale_panels(mats, width=3.4)
    for ax, (label, M) in zip(axes, mats.items()):
        ax.set_xticks(range(M.shape[1]), [str(c) for c in range(1, M.shape[1] + 1)], fontsize=8)
        ax.set_yticks(range(M.shape[0]), [str(r) for r in range(1, M.shape[0] + 1)], fontsize=8)
        ax.set_title(f"{label}\nshape {M.shape[0]} x {M.shape[1]}", fontsize=9)
    fig.suptitle(title)
    shapes = "; ".join(f"{label}: {M.shape[0]} by {M.shape[1]}" for label, M in mats.items())
    fig.alt_text = (
        f"{title}: heat maps of one weight gradient on a shared colour scale, stored as {shapes}; "
        "the panels of different shape show the same colours with rows and columns swapped"
    )
    return fig


def _per_layer(series: Mapping[str, ArrayLike], ylabel: str, title: str) -> tuple[Figure, dict[str, np.ndarray]]:
    values = {label: finite(float_array(v, f"series {label!r}"), f"series {label!r}") for label, v in series.items()}
    for label, v in values.items():
        if v.ndim != 1 or not np.all(v > 0):
            raise ValueError(f"series {label!r} must be a 1-D array of positive numbers; got {v!r}")
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for (label, v), marker in zip(values.items(), "osD^v"):
        ax.semilogy(np.arange(1, v.size + 1), v, marker=marker, label=label)
    ax.set(xlabel="layer l (1 = nearest the input)", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return fig, values


def plot_gradient_norms(norms: Mapping[str, ArrayLike], title: str = "Gradient norm per layer") -> Figure:
    """``||dC/dW_l||`` against the layer ``l`` on a log scale, one line a network.

    ``norms`` maps a label to the array returned by ``backprop_derived.gradient_norms`` (shape (L,)).
    """
    fig, values = _per_layer(norms, "Frobenius norm of dC/dW_l", title)
    lines = "; ".join(
        f"{label}: {v[0]:.1e} at layer 1 and {v[-1]:.1e} at layer {v.size}" for label, v in values.items()
    )
    fig.alt_text, fig.caption = f"{title}, log scale. {lines}.", lines
    return fig


def plot_layer_variances(variances: Mapping[str, ArrayLike], title: str = "Mean square of z per layer") -> Figure:
    """The mean of ``z_l**2`` over a batch against the layer ``l`` on a log scale, one line a network."""
    fig, values = _per_layer(variances, "mean of z_l squared", title)
    lines = "; ".join(
        f"{label}: {v[0]:.2g} at layer 1 and {v[-1]:.2g} at layer {v.size}" for label, v in values.items()
    )
    fig.alt_text = f"{title}, log scale. {lines}."
    return fig


def plot_kernels(K: ArrayLike, title: str = "Learned kernels") -> Figure:
    """The kernels of a convolutional layer as small heat maps, one panel an output channel.

    ``K`` has shape ``(c_out, 1, kh, kw)`` (one input channel), as ``backprop_derived.autodiff.conv2d``
    takes it. All panels share one diverging colour scale centred at 0 (zero is white, positive
    weights red, negative blue), so the kernels can be compared with each other.
    """
    K = finite(float_array(K, "K"), "K")
    if K.ndim != 4 or K.shape[1] != 1:
        raise ValueError(f"K must have shape (c_out, 1, kh, kw), one input channel; got shape {K.shape}")
    c_out, _, kh, kw = K.shape
    cols = min(c_out, 4)
    rows = -(-c_out // cols)
    fig = Figure(figsize=(1.55 * cols + 0.9, 1.55 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    lim = float(np.abs(K).max()) or 1.0
    images = []
    for o, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if o >= c_out:
            ax.set_axis_off()
            continue
        images.append(ax.imshow(K[o, 0], cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim)))
        ax.set_title(f"kernel {o + 1}", fontsize=9)
    fig.colorbar(images[-1], ax=list(axes), shrink=0.8, label="weight")
    fig.suptitle(title, fontsize=10)
    centre_positive = int(np.sum(K[:, 0, kh // 2, kw // 2] > 0))
    fig.caption = (
        f"{c_out} kernels of {kh} x {kw} weights, from {K.min():.2f} to {K.max():.2f}; "
        f"{int(np.sum(K > 0))} of {K.size} weights are positive"
    )
    fig.alt_text = (
        f"{title}: {c_out} heat maps of {kh} by {kw} weights on one colour scale, red positive and blue "
        f"negative; {fig.caption}; the centre weight is positive in {centre_positive} of the {c_out} kernels"
    )
    return fig


def draw_autodiff_graph(
    root: object, names: Mapping[int, str] | None = None, title: str | None = None, vertical: bool = True
) -> Figure:
    """The graph the autodiff engine recorded for ``root`` (a ``bp.autodiff.Tensor``), top to bottom.

    ``vertical=False`` draws it left to right instead (wide: for a wide screen, not a phone).

    Every tensor is a box: a leaf that requires a gradient in blue, a constant in grey, a result in
    white labelled with the operation that made it; ``names`` maps ``id(tensor)`` to a label. An
    arrow runs from each input to each operation that used it (the forward pass); the backward pass
    walks the arrows the other way. A tensor with several consumers is outlined in orange: its
    cotangents add up there.
    """
    from .autodiff import Tensor, topological_order

    if not isinstance(root, Tensor):
        raise TypeError(f"root must be a bp.autodiff.Tensor; got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError("root records no graph: no tensor it depends on has requires_grad=True")
    names = dict(names or {})
    recorded = topological_order(root)
    nodes: list = []
    seen: set[int] = set()
    for t in recorded:  # constants used by a recorded operation come just before it
        for parent in t._op.inputs if t._op is not None else ():
            if id(parent) not in seen:
                seen.add(id(parent))
                nodes.append(parent)
        if id(t) not in seen:
            seen.add(id(t))
            nodes.append(t)

    def recorded_op(t: Tensor) -> bool:
        return t._op is not None and t.requires_grad

    def inputs_of(t: Tensor) -> tuple:
        return t._op.inputs if t._op is not None else ()

    level: dict[int, int] = {}
    for t in nodes:  # a result one column right of its latest input
        if recorded_op(t):
            level[id(t)] = 1 + max(level.get(id(p), 0) for p in t._op.inputs)
        else:
            level[id(t)] = 0
    consumers: dict[int, int] = {}
    for t in recorded:
        for parent in t._op.inputs if t._op is not None else ():
            consumers[id(parent)] = consumers.get(id(parent), 0) + 1
    spine = {id(root)}  # the longest chain into the root, drawn on one line
    node = root
    while recorded_op(node):
        node = max(inputs_of(node), key=lambda p: level[id(p)] + (0.5 if recorded_op(p) else 0))
        spine.add(id(node))
    for t in reversed(nodes):  # off the spine: one column left of its first consumer
        users = [level[id(u)] for u in recorded if recorded_op(u) and any(p is t for p in inputs_of(u))]
        if users and id(t) not in spine:
            level[id(t)] = min(users) - 1
    columns: dict[int, list] = {}
    for t in nodes:
        columns.setdefault(level[id(t)], []).append(t)
    pos: dict[int, tuple[float, float]] = {}
    for lv, col in columns.items():
        offsets = iter([1, -1, 2, -2, 3, -3, 4, -4, 5, -5])
        for t in col:
            pos[id(t)] = (lv, 0.0 if id(t) in spine else float(next(offsets)))
    ys = [y for _, y in pos.values()]
    height = max(ys) - min(ys) + 1
    if vertical:  # level down the page, branches across
        pos = {k: (1.3 * y, -float(lv)) for k, (lv, y) in pos.items()}
    columns = dict(sorted(columns.items()))
    if vertical:
        fig = Figure(figsize=(1.1 * height + 0.8, 0.62 * len(columns) + 0.6), layout="constrained")
    else:
        fig = Figure(figsize=(1.25 * len(columns) + 0.6, 0.8 * height + 0.8), layout="constrained")
    ax = fig.add_subplot()
    for t in recorded:
        for parent in t._op.inputs if t._op is not None else ():
            ax.annotate(
                "",
                xy=pos[id(t)],
                xytext=pos[id(parent)],
                arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 1.0, "shrinkA": 18, "shrinkB": 18},
            )

    def label(t: Tensor) -> str:
        if id(t) in names:
            head = names[id(t)]
        elif t._op is not None and t.requires_grad:
            head = t._op.name
        else:
            head = "constant"
        shape = "scalar" if t.shape == () else "x".join(map(str, t.shape))
        return f"{head}\n{shape}"

    for t in nodes:
        if t._op is not None and t.requires_grad:
            face = "white"
        else:
            face = "#cfe0fb" if t.requires_grad else "#e6e6e6"
        shared = consumers.get(id(t), 0) > 1
        ax.text(
            *pos[id(t)],
            label(t),
            ha="center",
            va="center",
            fontsize=8.5,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": face,
                "edgecolor": "#e07000" if shared else "black",
                "linewidth": 2.0 if shared else 0.8,
            },
        )
    xs_drawn, ys_drawn = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    ax.set_xlim(min(xs_drawn) - 0.8, max(xs_drawn) + 0.8)
    ax.set_ylim(min(ys_drawn) - 0.5, max(ys_drawn) + 0.5)
    ax.set_axis_off()
    n_ops = sum(1 for t in recorded if t._op is not None)
    leaves = [t for t in nodes if t._op is None and t.requires_grad]
    constants = [t for t in nodes if not t.requires_grad]
    shared_names = [label(t).split("\n")[0] for t in nodes if consumers.get(id(t), 0) > 1]
    if title:
        ax.set_title(title, fontsize=10)

    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    fig.caption = (
        f"{count(n_ops, 'recorded operation')}, "
        + ("1 leaf that requires a gradient " if len(leaves) == 1 else f"{len(leaves)} leaves that require a gradient ")
        + f"and {count(len(constants), 'constant')}; "
        + (
            f"tensors with more than one consumer: {', '.join(shared_names)}."
            if shared_names
            else "every tensor but the output has exactly one consumer."
        )
    )
    fig.alt_text = (
        f"The graph recorded by the autodiff engine, drawn {'top to bottom' if vertical else 'left to right'} "
        f"in {len(columns)} {'rows' if vertical else 'columns'}: "
        + "; ".join(
            f"{'row' if vertical else 'column'} {lv - min(columns) + 1}: "
            + ", ".join(label(t).replace("\n", " of shape ") for t in col)
            for lv, col in sorted(columns.items())
        )
        + ". "
        + fig.caption
    )
    return fig


def _positive_series(series: Mapping[str, ArrayLike], what: str) -> dict[str, np.ndarray]:
    values = {label: finite(float_array(v, f"{what} {label!r}"), f"{what} {label!r}") for label, v in series.items()}
    if not values:
        raise ValueError(f"{what}: expected at least one series; got none")
    for label, v in values.items():
        if v.ndim != 1 or v.size == 0 or not np.all(v > 0):
            raise ValueError(f"{what} {label!r} must be a non-empty 1-D array of positive numbers; got shape {v.shape}")
    return values


def plot_learning_curves(
    curves: Mapping[str, ArrayLike], baseline: float | None = None, title: str = "Learning curves"
) -> Figure:
    """Losses against the training step on a log scale, one line a curve, with an optional baseline.

    ``curves`` maps a label to the losses after steps 1, 2, ...; ``baseline`` (e.g. the loss of always
    predicting the mean target) is drawn as a dashed horizontal line.
    """
    values = _positive_series(curves, "curve")
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for (label, v), style in zip(values.items(), ("-", "--", "-.", ":")):
        ax.semilogy(np.arange(1, v.size + 1), v, style, lw=1.8, label=label)
    if baseline is not None:
        ax.axhline(positive_number(baseline, "baseline"), color="0.4", lw=1.2, ls=(0, (4, 3)), label="predict the mean")
    ax.set(xlabel="training step", ylabel="mean squared error", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    lines = "; ".join(f"{label}: {v[0]:.2g} at step 1, {v[-1]:.2g} at step {v.size}" for label, v in values.items())
    fig.caption = lines
    fig.alt_text = f"{title}, log scale. {lines}" + (
        f"; predicting the mean scores {baseline:.2g}." if baseline else "."
    )
    return fig


def plot_gradient_through_time(norms: Mapping[str, ArrayLike], title: str = "Gradient through time") -> Figure:
    """``|dC/dh_t|`` against the step ``t`` on a log scale, one line a network (e.g. before and after training)."""
    values = _positive_series(norms, "series")
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for (label, v), marker in zip(values.items(), "osD^v"):
        ax.semilogy(np.arange(1, v.size + 1), v, marker=marker, label=label)
    ax.set(xlabel="step t", ylabel="norm of dC/dh_t", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    lines = "; ".join(
        f"{label}: {v[0]:.1e} at step 1 and {v[-1]:.1e} at step {v.size}, a ratio of {v[-1] / v[0]:.2g}"
        for label, v in values.items()
    )
    fig.caption = lines
    fig.alt_text = f"{title}, log scale. {lines}."
    return fig
