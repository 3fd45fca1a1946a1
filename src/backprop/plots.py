"""Figures drawn from real objects: the network diagram, Jacobian heatmaps, training curves,
a confusion matrix and decision regions.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so no global figure
state is left behind; save it with ``fig.savefig(path)``, or leave it as the last expression of a
Jupyter cell to display it.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.colors import ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure as _MplFigure

from .data import CLASS_NAMES


class Figure(_MplFigure):
    """A matplotlib ``Figure`` that Jupyter shows as a PNG, with no pyplot state involved.

    ``alt_text`` describes the figure for readers who cannot see it; it is written into the PNG
    as its ``Description``, where the site's build finds it and uses it as the image's alt text.
    """

    alt_text = "A figure drawn by backprop.plots"

    def png_bytes(self, dpi: int = 100) -> bytes:
        """The figure as PNG bytes on white, with ``alt_text`` as the PNG's Description."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=dpi, facecolor="white",
                     metadata={"Description": self.alt_text, "Software": None})
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        # 200 dpi: the site shows PNGs of 190 dpi or more at half their pixel size (sharp on 2x screens).
        return self.png_bytes(dpi=200)


def draw_network(net, input_names=None, title: str | None = None) -> Figure:
    """The layers of ``net`` as columns of neurons, edges coloured and sized by their weight.

    Blue edges are positive weights, red negative; the line width grows with ``|w_ij|``.
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
                ax.plot([l - 1, l], [ys[l - 1][j], ys[l][i]], color="#1f5fbf" if w > 0 else "#c0392b",
                        lw=0.4 + 2.6 * abs(w) / w_max, alpha=0.75, zorder=1)
    for l, y_l in enumerate(ys):
        name = "input x" if l == 0 else (f"output (layer {l})" if l == len(sizes) - 1 else f"hidden (layer {l})")
        act = "" if l == 0 else f"\n{net.layers[l - 1].activation.name}"
        ax.scatter(np.full(len(y_l), l), y_l, s=700, color="white", edgecolors="black", zorder=2)
        for k, y in enumerate(y_l, start=1):
            label = f"$x_{k}$" if l == 0 else f"$a_{k}$"
            ax.text(l, y, label, ha="center", va="center", fontsize=10, zorder=3)
        ax.text(l, y_l[-1] - 0.9, name + act, ha="center", va="top", fontsize=9)
    if input_names is not None:
        for y, label in zip(ys[0], input_names):
            ax.text(-0.25, y, label, ha="right", va="center", fontsize=9)
    ax.set_xlim(-1.6 if input_names is not None else -0.5, len(sizes) - 0.5)
    ax.set_ylim(min(y[-1] for y in ys) - 1.8, max(y[0] for y in ys) + 0.6)
    ax.set_axis_off()
    ax.set_title(title or "-".join(map(str, sizes)) + " network: blue w > 0, red w < 0, width ~ |w|")
    fig.alt_text = (f"Diagram of a {'-'.join(map(str, sizes))} network: columns of neurons joined by one "
                    "edge per weight, blue for positive and red for negative weights, wider for larger ones")
    return fig


def plot_jacobian(J, title: str, row_label: str, col_label: str, row_names=None, col_names=None) -> Figure:
    """A heatmap of a Jacobian (rows = outputs, columns = inputs), zero in white, with its values."""
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 2:
        raise ValueError(f"J must be a matrix; got shape {J.shape}")
    fig = Figure(figsize=(max(3.2, 0.55 * J.shape[1] + 2.2), max(2.6, 0.55 * J.shape[0] + 1.6)),
                 layout="constrained")
    ax = fig.add_subplot()
    lim = float(np.abs(J).max()) or 1.0
    im = ax.imshow(J, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim))
    for (r, c), v in np.ndenumerate(J):
        if v != 0:
            ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(J.shape[1]), col_names if col_names is not None else range(1, J.shape[1] + 1),
                  fontsize=7, rotation=90 if J.shape[1] > 8 else 0)
    ax.set_yticks(range(J.shape[0]), row_names if row_names is not None else range(1, J.shape[0] + 1),
                  fontsize=8)
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.set_title(f"{title}  ({J.shape[0]} x {J.shape[1]})", fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.alt_text = (f"Heat map of the {J.shape[0]} by {J.shape[1]} Jacobian '{title}', rows {row_label}, "
                    f"columns {col_label}; {np.count_nonzero(J)} of {J.size} entries are non-zero")
    return fig


def plot_history(history, title: str = "Training on iris") -> Figure:
    """Loss and accuracy per epoch, training and (when recorded) test, side by side."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(1, history.epochs + 1)
    ax_loss.plot(epochs, history.loss, label="training")
    ax_acc.plot(epochs, history.accuracy, label="training")
    if history.test_loss:
        ax_loss.plot(epochs, history.test_loss, label="test", ls="--")
        ax_acc.plot(epochs, history.test_accuracy, label="test", ls="--")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy cost C (nats)", title="Cost per epoch")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (fraction correct)", title="Accuracy per epoch", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.alt_text = (f"{title}. Left: cost per epoch, falling from {history.loss[0]:.2f} to "
                    f"{history.loss[-1]:.2f} on the training set. Right: accuracy per epoch, ending at "
                    f"{history.accuracy[-1]:.1%} on the training set"
                    + (f" and {history.test_accuracy[-1]:.1%} on the test set." if history.test_accuracy else "."))
    return fig


def plot_confusion(C, class_names=CLASS_NAMES, title: str = "Confusion matrix (test set)") -> Figure:
    """A confusion matrix ``C[t, p]`` (true class t predicted as p) with its counts written in."""
    C = np.asarray(C)
    fig = Figure(figsize=(4.6, 3.9), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(C, cmap="Blues")
    for (t, p), v in np.ndenumerate(C):
        ax.text(p, t, str(v), ha="center", va="center", color="white" if v > C.max() / 2 else "black")
    ax.set_xticks(range(len(class_names)), class_names)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set(xlabel="predicted species", ylabel="true species", title=title)
    fig.colorbar(im, ax=ax, shrink=0.8, label="flowers")
    cells = "; ".join(f"{class_names[t]} predicted as {class_names[p]}: {C[t, p]}"
                      for t in range(len(C)) for p in range(len(C)) if C[t, p])
    fig.alt_text = f"{title}. {cells}."
    return fig


def plot_decision_regions(net, X2, y, feature_names=("petal length (cm)", "petal width (cm)"),
                          transform=None, class_names=CLASS_NAMES, title: str = "Decision regions") -> Figure:
    """The class ``net`` predicts over a grid of two features, with the data points on top.

    ``X2`` (m, 2) holds the points in their original units; ``transform`` (optional) maps such
    points to what the network expects, e.g. the standardisation used in training.
    """
    X2 = np.asarray(X2, dtype=np.float64)
    pad = 0.5
    g0, g1 = np.meshgrid(np.linspace(X2[:, 0].min() - pad, X2[:, 0].max() + pad, 300),
                         np.linspace(X2[:, 1].min() - pad, X2[:, 1].max() + pad, 300))
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    pred = net.predict(transform(grid) if transform else grid).reshape(g0.shape)
    colours = ["#4c72b0", "#dd8452", "#55a868"]
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.contourf(g0, g1, pred, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(colours), alpha=0.3)
    for k, name in enumerate(class_names):
        pts = X2[np.asarray(y) == k]
        ax.scatter(pts[:, 0], pts[:, 1], color=colours[k], edgecolors="black", s=28, label=name)
    ax.set(xlabel=feature_names[0], ylabel=feature_names[1], title=title)
    ax.legend(title="species")
    fig.alt_text = (f"{title}: coloured regions show the class predicted over the plane of "
                    f"{feature_names[0]} and {feature_names[1]}, with the data points drawn on top")
    return fig
