"""The generator-independent build steps: the pre-build step (docs/extensions/prebuild.py) and the
Markdown extension (docs/extensions/fill.py) that MkDocs and Zensical both run."""

from __future__ import annotations

import html
import pickle
import re

import markdown
import pytest

import backprop_derived as bp
from conftest import DOCS, ROOT, load_module

prebuild = load_module("backprop_site_prebuild", DOCS / "extensions" / "prebuild.py")
fill = load_module("backprop_site_fill", DOCS / "extensions" / "fill.py")
check_site = load_module("check_site", ROOT / ".ci" / "check_site.py")


def _png(alt: str = "Three bars", caption: str = "") -> bytes:
    fig = bp.plots.plot_confusion(bp.confusion_matrix([0, 1, 2], [0, 2, 2], 3))
    fig.alt_text = alt
    png = fig.png_bytes(dpi=40)
    return prebuild.with_text(png, "Caption", caption) if caption else png


def test_caption_and_alt_text_travel_inside_the_png():
    png = _png("Three bars, one per class", "Flower 100 is misread as a virginica.")
    assert prebuild.png_text(png) == {
        "Description": "Three bars, one per class",
        "Caption": "Flower 100 is misread as a virginica.",
    }
    small = load_module("lean_pages", DOCS / "hooks" / "lean_pages.py").compact_png(png)
    assert prebuild.png_text(small)["Caption"] == "Flower 100 is misread as a virginica."
    with pytest.raises(ValueError, match="png: expected PNG bytes"):
        prebuild.with_text(b"GIF89a", "Caption", "x")


def test_write_figures_rewrites_only_what_changed_and_removes_stale_files(tmp_path):
    files = {"a.png": _png("A"), "a-dark.png": _png("A dark")}
    (tmp_path / "old.png").write_bytes(b"a figure no longer drawn")
    assert prebuild.write_figures(tmp_path, files) == ["a-dark.png", "a.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-dark.png", "a.png"]
    assert prebuild.write_figures(tmp_path, files) == []  # mkdocs serve sees no change
    files["a.png"] = _png("A, redrawn")
    assert prebuild.write_figures(tmp_path, files) == ["a.png"]
    assert prebuild.png_text((tmp_path / "a.png").read_bytes())["Description"] == "A, redrawn"


def test_the_extension_fills_alt_text_and_caption_from_the_png_files(tmp_path):
    (tmp_path / "jacobian-relu.png").write_bytes(_png("Heat map [5 x 5]", "Neurons 2 and 4 are off."))
    (tmp_path / "jacobian-relu-dark.png").write_bytes(_png("Heat map, dark"))
    page = '<figure markdown="span">\n![](figures/jacobian-relu.png)\n<figcaption>{{ caption }}</figcaption>\n</figure>'
    out = fill.fill(page, tmp_path)
    assert "[![Heat map (5 x 5)](figures/jacobian-relu.png#only-light)](figures/jacobian-relu.png)" in out
    assert "(figures/jacobian-relu-dark.png#only-dark)" in out
    assert "<figcaption>Neurons 2 and 4 are off.</figcaption>" in out


def test_a_figure_missing_from_the_prebuild_output_stops_the_build(tmp_path):
    with pytest.raises(Exception, match=r"figures/network\.png is not a figure any hook draws"):
        fill.fill("![](figures/network.png)", tmp_path)


@pytest.mark.parametrize("kind", ["bench", "site", "engine"])
def test_an_unknown_placeholder_key_stops_the_build(tmp_path, kind):
    with pytest.raises(Exception, match=r"unknown .*value 'no_such_key'"):
        fill.fill(f"Took <!-- {kind}:no_such_key --> on this machine.", tmp_path)


def test_every_placeholder_of_the_pages_is_filled(tmp_path):
    for name in ("performance.md", "site.md"):
        out = fill.fill((DOCS / name).read_text(encoding="utf-8"), tmp_path)
        assert not check_site.COMMENT_PLACEHOLDER.search(out), name


FORMULAS = "The gradient \\(\\frac{\\partial C}{\\partial W_L}\\) is\n\n$$\n\\delta_L = a_L - y \\tag{T1}\n$$\n"


def _convert(text: str, tmp_path) -> str:
    md = markdown.Markdown(
        extensions=["pymdownx.arithmatex", fill.FillExtension(figures=str(tmp_path))],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    return md.convert(text)


def test_the_extension_typesets_every_formula_and_leaves_no_raw_tex(tmp_path):
    out = _convert(FORMULAS, tmp_path)
    assert out.count('class="katex"') == 2 and 'class="katex-display"' in out
    page = check_site.Page()
    page.feed(re.sub(r'<span class="math-search" hidden>[^<]*</span>', "", out))
    assert not check_site.RAW_TEX.search("".join(page.text)), "".join(page.text)
    # The search index takes the formula's text, not KaTeX's output.
    assert '<span class="math-search" hidden>∂C/∂W_L ∂C/∂W dC/dW</span>' in out
    assert f'<span class="math-search" hidden>{html.escape("δ_L = a_L - y")} delta</span>' in out


def test_the_finished_page_has_the_math_html_the_hooks_alone_made(tmp_path):
    """MkDocs' page through the extension equals the page the hooks made before (on_page_content,
    then on_post_page), and the search-only text is gone from both."""
    math = fill.load("build_math")
    plain = markdown.Markdown(
        extensions=["pymdownx.arithmatex"], extension_configs={"pymdownx.arithmatex": {"generic": True}}
    )
    by_hooks = math.render_page(math.on_page_content(plain.convert(FORMULAS), None, None, None), "t.md")
    indexed = math.on_page_content(_convert(FORMULAS, tmp_path), None, None, None)
    by_extension = math.render_page(indexed, "t.md")
    assert by_extension == by_hooks and by_extension.count('class="katex"') == 2
    assert "math-search" not in by_extension and "data-search-exclude" not in by_extension
    # What Material's search reads: no KaTeX output inside the excluded elements (it would stop
    # skipping at KaTeX's first inner end tag), the formula's text beside each.
    assert 'class="katex' not in indexed and indexed.count('<span class="math-search" hidden>') == 2


postbuild = load_module("backprop_site_postbuild", DOCS / "extensions" / "postbuild.py")


def _finished_site(tmp_path):
    """A site as a generator without hooks leaves it: content through the extension, KaTeX's files."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(DOCS / "assets" / "katex" / "fonts", site / "assets" / "katex" / "fonts")
    (site / "figures").mkdir()
    (site / "figures" / "net.png").write_bytes(_figure_png_at(200))
    content = _convert(FORMULAS, tmp_path) + '\n<p><img alt="A network" src="../figures/net.png"></p>'
    (site / "cost").mkdir()
    (site / "cost" / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="../assets/katex/katex.min.css"></head><body>'
        f'<article class="md-content__inner md-typeset">{content}</article></body></html>',
        encoding="utf-8",
    )
    return site


def _figure_png_at(dpi: int) -> bytes:
    return bp.plots.plot_confusion(bp.confusion_matrix([0, 1, 2], [0, 2, 2], 3)).png_bytes(dpi=dpi)


def test_postbuild_finishes_a_site_built_without_hooks(tmp_path):
    site = _finished_site(tmp_path)
    before = {f.name: f.stat().st_size for f in (site / "assets" / "katex" / "fonts").iterdir()}
    counts = postbuild.postbuild(site)
    page = (site / "cost" / "index.html").read_text(encoding="utf-8")
    assert counts == {"pages": 1, "pages changed": 1, "fonts cut": len(before)}
    assert "math-search" not in page and "data-search-exclude" not in page and page.count('class="katex"') == 2
    assert '<link rel="preload" href="../assets/katex/fonts/KaTeX_Main-Regular.woff2"' in page
    width, height, _ = load_module("lean_pages", DOCS / "hooks" / "lean_pages.py").png_size(_figure_png_at(200))
    assert f'width="{round(width / 2)}" height="{round(height / 2)}"' in page  # drawn for 2x screens
    after = {f.name: f.stat().st_size for f in (site / "assets" / "katex" / "fonts").iterdir()}
    assert all(after[name] < before[name] for name in before)
    from fontTools.ttLib import TTFont

    kept = set().union(*(TTFont(f).getBestCmap() for f in (site / "assets" / "katex" / "fonts").glob("*.woff2")))
    assert {ord("∂"), ord("δ")} <= kept and ord("∮") not in kept  # the formulas' characters, no others
    # A second pass (MkDocs' output has been through the same functions) changes no page.
    assert postbuild.postbuild(site)["pages changed"] == 0
    assert (site / "cost" / "index.html").read_text(encoding="utf-8") == page


def test_page_url_is_the_url_the_page_is_served_at(tmp_path):
    assert postbuild.page_url(tmp_path / "cost" / "index.html", tmp_path) == "cost/"
    assert postbuild.page_url(tmp_path / "index.html", tmp_path) == ""
    assert postbuild.page_url(tmp_path / "404.html", tmp_path) == "404.html"


def test_a_figure_gives_the_same_bytes_however_often_it_is_written():
    """A figure saved twice can differ by a pixel (its layout settles): the pre-build step draws each
    file from a fresh copy, so an unchanged figure is never rewritten and mkdocs serve does not loop."""
    import numpy as np

    fig = bp.plots.plot_jacobian(np.diag([1.0, 0.0, 1.0]), "d a / d z", "output a_i", "input z_j")
    # figure_files sends each worker a pickled copy of the cached figure: two copies, the same bytes
    first = pickle.loads(pickle.dumps(fig)).png_bytes()
    assert pickle.loads(pickle.dumps(fig)).png_bytes() == first  # a serve rebuild writes the cached figure again


def test_load_reuses_the_hook_module_until_it_is_imported_again():
    # MkDocs imports each hook under its own name, and `mkdocs serve` imports it again when it
    # reloads the configuration: load() must then hand out the new module, or the extension and
    # the hooks would keep two KaTeX engines (and the font cut would read the wrong one).
    import importlib.util
    import sys

    path = DOCS / "hooks" / "benchmark_page.py"
    first = prebuild.load("benchmark_page")
    assert prebuild.load("benchmark_page") is first
    spec = importlib.util.spec_from_file_location(first.__name__, path)
    again = importlib.util.module_from_spec(spec)
    sys.modules[first.__name__] = again
    try:
        spec.loader.exec_module(again)
        assert prebuild.load("benchmark_page") is again
    finally:
        sys.modules[first.__name__] = first
