"""The page-speed build hooks: math typeset at build time, image sizes, lean notebook pages, downloads.

The tests of benchmarks/site_speed.py (the Lighthouse script) are marked ``tooling`` and run only
with ``python -m pytest -m tooling``.

docs/hooks/build_math.py runs the vendored KaTeX in an embedded V8 (mini-racer);
docs/hooks/lean_pages.py sizes images, compacts and prunes notebook pages and makes the notebook
downloads. The whole built site is checked in a browser by tests/test_browser.py.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import backprop_derived as bp
from conftest import DOCS, ROOT, load_module

pytest.importorskip("py_mini_racer", reason="mini-racer is part of the docs extra")


def _load(name: str):
    return load_module(name, ROOT / "docs" / "hooks" / f"{name}.py")


math = _load("build_math")
lean = _load("lean_pages")


@pytest.fixture(scope="module", autouse=True)
def _close_engine():
    yield
    math.close_engine()


# --- math -------------------------------------------------------------------------------------


def test_arithmatex_elements_become_katex_html_and_mathml():
    page = (
        '<p>Inline <span class="arithmatex">\\(a &lt; b\\)</span> and</p>\n'
        '<div class="arithmatex">\\[\\begin{aligned} z &amp;= a W^T \\end{aligned}\\]</div>'
    )
    out = math.render_page(page, "x.md")
    assert out.count('<span class="katex">') == 2 and out.count('<span class="katex-display">') == 1
    assert out.count("<math") == 2  # MathML for assistive technology
    assert "\\(" not in out and "\\[" not in out
    # The TeX reaches KaTeX unescaped: "<" and "&" are read as TeX, not as HTML entities.
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in out
    assert "&amp;amp;" not in out


def test_inline_math_and_the_punctuation_beside_it_are_one_unbreakable_span():
    def m(x):  # an inline formula as KaTeX leaves it: spans in spans
        return f'<span class="arithmatex"><span class="katex"><span>{x}</span><span>.</span></span></span>'

    page = f"<p>a ({m('x')}, then {m('W')}'s row, and {m('b')} alone; ({m('z')}).</p>"
    assert math.glue_punctuation(page) == (
        f'<p>a <span class="math-glue">({m("x")},</span> then <span class="math-glue">{m("W")}\'s</span> row, '
        f'and {m("b")} alone; <span class="math-glue">({m("z")}).</span></p>'
    )
    # a formula of several boxes keeps KaTeX's breaks between them: marked, for extra.css
    box = '<span class="katex-base">{}</span>'
    two = f'<span class="arithmatex"><span class="katex">{box.format("a")}{box.format("b")}</span></span>'
    assert math.glue_punctuation(f"({two}).") == f'<span class="math-glue math-glue-long">({two}).</span>'
    assert math.glue_punctuation(math.glue_punctuation(page)) == math.glue_punctuation(page)  # post-build runs it again
    typeset = math.render_page('<p>(<span class="arithmatex">\\(x\\)</span>).</p>', "x.md")
    assert typeset.startswith('<p><span class="math-glue">(<span class="arithmatex"><span class="katex">')
    assert typeset.endswith("</span>).</span></p>")


def test_notebook_cells_dollars_are_typeset_and_code_and_escaped_dollars_are_not():
    cell = (
        '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">'
        "<p>Weights $W_1$ of shape $5 \\times 4$, costs \\$5, code <code>x = $y$</code></p>"
        "<p>$$C = \\sum_k y_k$$</p></div>"
    )
    out = math.render_page(cell, "notebooks/x.py")
    assert out.count('class="katex"') == 3 and out.count("katex-display") == 1
    assert "<code>x = $y$</code>" in out and "\\$5" in out


def test_a_formula_katex_cannot_parse_is_an_error_naming_page_and_formula(caplog):
    with caplog.at_level(logging.ERROR, logger="mkdocs.hooks.build_math"):
        out = math.render_page('<span class="arithmatex">\\(\\frac{a\\)</span>', "chapter.md")
    assert 'class="katex-error"' in out
    [record] = caplog.records
    assert "chapter.md" in record.getMessage() and "\\\\frac{a" in record.getMessage()


def test_fonts_preloaded_are_those_the_math_uses():
    plain = math.render_page('<span class="arithmatex">\\(x\\)</span>', "a.md")
    bold = math.render_page('<span class="arithmatex">\\(\\mathbf{x}\\)</span>', "a.md")

    def files(page):
        return math.font_files(math.faces_used(page))

    assert "fonts/KaTeX_Math-Italic.woff2" in files(plain)
    assert "fonts/KaTeX_Main-Bold.woff2" not in files(plain)
    assert "fonts/KaTeX_Main-Bold.woff2" in files(bold)
    assert files("<p>no math</p>") == []
    head = '<head><link rel="stylesheet" href="../assets/katex/katex.min.css"></head>'
    assert '<link rel="preload" href="../assets/katex/fonts/KaTeX_Main-Bold.woff2" as="font"' in math.preload_fonts(
        head + bold
    )


def test_fonts_are_cut_to_the_characters_katex_draws_and_keep_their_widths(tmp_path):
    from fontTools.ttLib import TTFont

    # \sin puts an invisible function-application character (U+2061) in the MathML only.
    rendered = [math.engine().render(r"\sin \partial \alpha", False)]
    assert "\u2061" in rendered[0]
    chars = math.math_characters(rendered)
    assert {"∂", "α", "s", "0", "("} <= chars and "\u2061" not in chars and "∇" not in chars

    fonts = math.KATEX_DIR / "fonts"
    sizes = math.subset_fonts(fonts, tmp_path, chars)
    assert sizes["KaTeX_Main-Regular.woff2"][1] < sizes["KaTeX_Main-Regular.woff2"][0] / 2
    full, cut = TTFont(fonts / "KaTeX_Main-Regular.woff2"), TTFont(tmp_path / "KaTeX_Main-Regular.woff2")
    full_map, cut_map = full.getBestCmap(), cut.getBestCmap()
    assert ord("∇") in full_map and ord("∇") not in cut_map
    kept = [c for c in chars if ord(c) in full_map]
    assert ord("∂") in cut_map and all(ord(c) in cut_map for c in kept)
    for c in kept:  # the same advance width for every character kept
        assert cut["hmtx"][cut_map[ord(c)]][0] == full["hmtx"][full_map[ord(c)]][0], c


def test_the_fonts_the_math_uses_are_preloaded_before_the_stylesheets_and_nothing_waits_for_them():
    head = '<head><link rel="stylesheet" href="../assets/katex/katex.min.css"><link rel="stylesheet" href="x.css">'
    bold = math.render_page('<span class="arithmatex">\\(\\mathbf{x}\\)</span>', "a.md")
    out = math.preload_fonts(f"{head}</head><body><article>{bold}</article><footer></footer>")
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', out)
    assert preloads == ["../assets/katex/fonts/KaTeX_Main-Bold.woff2", "../assets/katex/fonts/KaTeX_Main-Regular.woff2"]
    assert out.index("preload") < out.index('rel="stylesheet"')
    assert "<script" not in out and "<style" not in out  # no gate, no far blocks
    no_math = f"{head}</head><body><article><p>no math</p></article>"
    assert math.preload_fonts(no_math) == no_math


# --- search: formulas as text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"\frac{\partial C}{\partial \mathbf{W}_L}", "∂C/∂W_L"),
        (r"\delta^{[L]} = \frac{\partial C}{\partial z^{[L]}} \tag{3}", "δ^[L] = ∂C/∂z^[L]"),
        (r"J_{ij} = a_i(\delta_{ij} - a_j)", "J_ij = a_i(δ_ij - a_j)"),
        (r"\frac{a + b}{2}", "(a + b)/2"),
        (r"x \qquad \mathbf{a}^T \otimes \boldsymbol{\delta}", "x a^T ⊗δ"),
        (r"\begin{aligned} x &= \left(1\right) \\\\ y &= \sum_k z_k \end{aligned}", "x = (1) y = Σ_k z_k"),
    ],
)
def test_formulas_reach_the_search_index_as_text(tex, text):
    assert math.tex_to_text(tex) == text


def test_search_text_has_the_short_forms_readers_type_and_leaves_the_page():
    assert math.search_aliases("∂C/∂W_L = δ a") == ["∂C/∂W", "dC/dW", "delta"]
    assert math.search_aliases("x = y") == []
    content = '<p>See <span class="arithmatex">\\(\\frac{\\partial C}{\\partial W_L}\\)</span>.</p>'
    indexed = math.on_page_content(content, None, None, None)
    assert '<span class="arithmatex" data-search-exclude>' in indexed
    assert '<span class="math-search" hidden>∂C/∂W_L ∂C/∂W dC/dW</span>' in indexed
    page = math.render_page(indexed, "a.md")
    assert "math-search" not in page and "data-search-exclude" not in page and 'class="katex"' in page


def _mini_site(tmp_path, page: str):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(f"""\
        site_name: t
        markdown_extensions:
          - pymdownx.arithmatex:
              generic: true
        hooks:
          - {ROOT / "docs" / "hooks" / "build_math.py"}
        """),
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )


def test_strict_build_fails_on_a_bad_formula_and_exits(tmp_path):
    # A timeout here would mean the V8 context was left open and kept the process alive.
    result = _mini_site(tmp_path, "# T\n\nGood \\(x^2\\), bad \\(\\frac{a\\).\n")
    assert result.returncode != 0
    assert "index.md" in result.stderr and "\\\\frac{a" in result.stderr, result.stderr


def test_build_typesets_and_exits(tmp_path):
    result = _mini_site(tmp_path, "# T\n\nGood \\(x^2\\).\n")
    assert result.returncode == 0, result.stderr
    assert 'class="katex"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_engine_is_closed_after_a_build():
    math.render_page('<span class="arithmatex">\\(x\\)</span>', "a.md")
    assert math._katex is not None
    math.on_post_build(config=None)
    assert math._katex is None


# --- images -----------------------------------------------------------------------------------


def _figure_png(dpi: int) -> bytes:
    return bp.plots.plot_confusion(bp.confusion_matrix([0, 1, 2], [0, 2, 2], 3)).png_bytes(dpi=dpi)


def test_png_size_and_high_density_figures_show_at_half_size():
    width, height, dpi = lean.png_size(_figure_png(100))
    assert round(dpi) == 100 and lean.display_size(_figure_png(100)) == (width, height)
    w2, h2, dpi2 = lean.png_size(_figure_png(200))
    assert round(dpi2) == 200 and lean.display_size(_figure_png(200)) == (round(w2 / 2), round(h2 / 2))


def test_every_content_image_gets_its_size_and_later_ones_load_lazily():
    data = base64.b64encode(_figure_png(100)).decode()
    width, height, _ = lean.png_size(_figure_png(100))
    page = (
        f'<header><img src="logo.png"></header><article class="md-content__inner">'
        f'<img alt="a" src="data:image/png;base64,{data}"><p>{"words " * 1000}</p>'
        f'<img alt="b" src="data:image/png;base64,{data}"></article>'
    )
    out = lean.size_images(page, "page/")
    assert '<header><img src="logo.png"></header>' in out  # outside the content: untouched
    first, second = out.split("<img ")[2:]
    assert f'width="{width}" height="{height}"' in first and 'loading="lazy"' not in first
    assert f'width="{width}" height="{height}"' in second and 'loading="lazy"' in second


def test_code_blocks_and_collapsed_boxes_are_left_out_of_the_search_index():
    page = (
        '<p>prose</p><div class="language-python highlight"><pre>x</pre></div>'
        '<details class="success"><summary>Solution</summary><p>s</p></details><p>details of it</p>'
    )
    out = lean.on_page_content(page, None, None, None)
    assert '<div class="language-python highlight" data-search-exclude>' in out
    assert '<details data-search-exclude class="success">' in out
    assert "<p>prose</p>" in out and "<p>details of it</p>" in out  # the word "details" is left alone


def test_every_plain_table_is_framed_once_and_others_are_left_alone():
    page = '<p>a</p><table><tr><td>1</td></tr></table><p>b</p><table class="x"></table><table><tr></tr></table>'
    out = lean.frame_tables(page)
    frame = '<div class="md-typeset__scrollwrap"><div class="md-typeset__table"><table class="framed">'
    assert out == (
        f"<p>a</p>{frame}<tr><td>1</td></tr></table></div></div><p>b</p>"
        f'<table class="x"></table>{frame}<tr></tr></table></div></div>'
    )
    assert lean.frame_tables(out) == out  # the post-build step runs it again on MkDocs' output


def test_name_spans_are_unwrapped_and_no_other_token():
    code = (
        '<code><span class="n">net</span><span class="o">.</span><span class="n">W</span> '
        '<span class="nb">print</span><span class="nf">f</span><span class="n"></span></code>'
    )
    out = lean.plain_names(code)
    assert out == '<code>net<span class="o">.</span>W <span class="nb">print</span><span class="nf">f</span></code>'
    assert lean.plain_names(out) == out  # the post-build step runs it again on MkDocs' output


def test_material_draws_a_name_span_in_the_code_s_own_colour():
    """What makes the unwrapping invisible: Material's ``.highlight .n`` colour is the code colour in
    both schemes, and extra.css does not change it. A Material upgrade that colours names fails here."""
    import material

    sheets = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    css = "".join(p.read_text(encoding="utf-8") for p in sheets.glob("*.min.css"))
    assert ".highlight .kc,.highlight .n{color:var(--md-code-hl-name-color)}" in css
    assert set(re.findall(r"--md-code-hl-name-color:([^;}]*)", css)) == {"var(--md-code-fg-color)"}
    extra = (DOCS / "assets" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    assert "hl-name-color" not in extra and not re.search(r"\.n\b", extra)


def test_compact_png_keeps_alt_text_and_resolution_and_is_smaller():
    import io

    from PIL import Image

    site_hooks = _load("site_hooks")
    original = _figure_png(200)
    small = lean.compact_png(original)
    assert len(small) < len(original)
    assert site_hooks.png_description(small) == site_hooks.png_description(original)
    assert lean.png_size(small) == pytest.approx(lean.png_size(original), rel=1e-3)
    assert Image.open(io.BytesIO(small)).mode == "P"


# --- notebook pages ---------------------------------------------------------------------------


def test_prune_css_keeps_what_the_page_uses():
    css = (
        ".jupyter-wrapper{--jp-a:red;--jp-b:var(--jp-c);--jp-c:blue;--jp-unused:0}"
        ".jupyter-wrapper .jp-Used{color:var(--jp-a)}"
        ".jupyter-wrapper .jp-Unused{color:var(--jp-unused)}"
        ".jupyter-wrapper :is(.jp-Used, .jp-Other):hover{display:flex}"
        "@media (max-width:10px){.jupyter-wrapper .jp-Used{margin:0}.jupyter-wrapper .jp-Gone{margin:0}}"
        "@keyframes spin{to{transform:rotate(1turn)}}"
        ".jupyter-wrapper :root{--jp-x:1}"
    )
    out = lean.prune_css(css, {"jupyter-wrapper", "jp-Used"}, referenced="a{color:var(--jp-b)}")
    assert ".jupyter-wrapper .jp-Used{color:var(--jp-a)}" in out
    assert ".jupyter-wrapper :is(.jp-Used, .jp-Other):hover{display:flex}" in out
    assert "@media (max-width:10px){.jupyter-wrapper .jp-Used{margin:0}}" in out
    assert "--jp-a:red" in out and "--jp-b:" in out and "--jp-c:blue" in out  # read, or read by what is read
    for gone in ("jp-Unused", "jp-Gone", "--jp-unused", "keyframes", ":root"):
        assert gone not in out


def test_notebook_downloads_are_made_from_the_page_source():
    import jupytext
    import nbformat

    src = DOCS / "notebooks" / "iris.py"
    source = src.read_text(encoding="utf-8")
    files = lean.notebook_downloads("notebooks/iris.py", source)
    assert set(files) == {"notebooks/iris/iris.py", "notebooks/iris/iris.ipynb"}
    assert files["notebooks/iris/iris.py"] == source
    notebook = nbformat.reads(files["notebooks/iris/iris.ipynb"], as_version=4)
    nbformat.validate(notebook)
    expected = jupytext.reads(source, fmt="py:percent")
    assert [(c.cell_type, c.source) for c in notebook.cells] == [(c.cell_type, c.source) for c in expected.cells]
    assert sum(c.cell_type == "code" for c in notebook.cells) >= 3
    assert json.loads(files["notebooks/iris/iris.ipynb"])["nbformat"] == 4


# --- the page "How this site is built" ------------------------------------------------


def _placeholders(kind: str) -> tuple[dict, dict[str, str], set[str]]:
    """(committed results, the values the hook fills in, the placeholders the site page uses) of one kind."""
    page = _load("benchmark_page")
    results = getattr(page, f"load_{kind}")()
    keys = getattr(page, f"{kind.upper()}_PLACEHOLDER").findall((DOCS / page.SITE_PAGE).read_text(encoding="utf-8"))
    return results, getattr(page, f"{kind}_values")(results), set(keys)


def test_committed_site_speed_results_fill_every_site_placeholder():
    results, found, keys = _placeholders("site")
    assert "table" in keys and keys <= set(found)
    assert found["table"].count("\n") == len(results["pages"]) + 1  # header, rule, one row per page
    assert results["environment"]["lighthouse"] == "12.2.3"


def test_the_site_page_states_which_pages_miss_which_budget_and_whether_the_run_was_fair():
    page = _load("benchmark_page")

    def row(path, performance, tbt, cls=0.0, seo=100):
        return {"page": path, "title": path.upper(), "performance": performance, "tbt_ms": tbt, "cls": cls,
                "accessibility": 100, "best-practices": 100, "seo": seo}  # fmt: skip

    def results(median, again_median=None):
        out = {
            "environment": {"cpu_cores": 2, "load_average_1min": {"min": 0.5, "median": median, "max": 9.0}},
            "pages": [row("a", 89, 301), row("b", 95, 100, cls=0.03), row("c", 99, 20, seo=92), row("d", 99, 300)],
        }
        if again_median is not None:
            out["remeasured"] = {"pages": ["a"], "load_average_1min": {"median": again_median}}
        return out

    # The rule is the median, not the largest sample: a peak of 9 on 2 cores leaves a run fair.
    fair = page.site_verdict(results(2.0))
    assert "the full run was fair (median load 2, at most the 2 cores)" in fair
    assert "1 misses performance at least 90 (A 89)" in fair and "1 misses total blocking time" in fair
    assert "(A 301 ms)" in fair and "D 300" not in fair  # 300 ms meets "at most 300 ms"
    assert "1 misses layout shift at most 0.02 (B 0.030)" in fair and "(C 92)" in fair and "unfair" not in fair
    # Over the cores, the load-moved misses are unresolved; the SEO miss counts in any run.
    busy = page.site_verdict(results(2.01))
    assert "the full run was unfair (median load 2.01, above the 2 cores)" in busy
    assert "unresolved until measured again in a fair one: 1 misses performance at least 90 (A 89)" in busy
    assert "1 misses 100 for accessibility, best practices and SEO (C 92)" in busy.split("unresolved")[0]
    # A page measured again belongs to the re-measure's run.
    split = page.site_verdict(results(3.0, again_median=1.0))
    before, after = split.split("unresolved")
    assert "the re-measure was fair" in before and "misses performance at least 90 (A 89)" in before
    assert "1 misses layout shift at most 0.02 (B 0.030)" in after
    # Nothing missed: said in words.
    all_met = (
        "Every page meets every budget: performance at least 90, total blocking time at most 300 ms, "
        "layout shift at most 0.02 and 100 for accessibility, best practices and SEO."
    )
    calm = results(1.0)
    calm["pages"] = [row("a", 99, 20)]
    assert page.site_verdict(calm).endswith(all_met)
    # The committed run: fair by the median, and its verdict counts the misses its rows hold (whether
    # a page meets a budget is a measurement, recorded in the JSON and stated on the page, not a test).
    results = page.load_site()
    committed, rows = page.site_values(results)["verdict"], results["pages"]
    slow = sum(r["performance"] < 90 for r in rows)
    blocking = sum(r["tbt_ms"] > 300 for r in rows)
    assert "unfair" not in committed
    assert committed.endswith(all_met) == (slow == blocking == 0)
    assert slow == 0 or f"{slow} miss{'es' if slow == 1 else ''} performance at least 90" in committed
    assert blocking == 0 or f"{blocking} miss{'es' if blocking == 1 else ''} total blocking time" in committed


@pytest.mark.tooling
def test_the_benchmark_keeps_each_page_s_median_run_measured_in_rounds(monkeypatch):
    site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")
    scores = {"a/": iter([90, 99, 60, 95, 97]), "b/": iter([80, 70, 75, 72, 100])}
    order = []

    def fake_lighthouse(url, browser):
        path = url.removeprefix("http://x/")
        order.append(path)
        return {"performance": next(scores[path]), "tbt_ms": len(order), "cls": 0.0}

    monkeypatch.setattr(site_speed, "lighthouse", fake_lighthouse)
    rows = site_speed.measure([("A", "a/"), ("B", "b/")], "http://x/", 5, "chromium")
    assert order == ["a/", "b/"] * 5  # every page once per round, not five in a row
    assert [r["performance"] for r in rows] == [95, 75]  # the middle of the sorted five
    assert [r["tbt_ms"] for r in rows] == [7, 6]  # and that run's other numbers with it
    assert rows[1]["performance_runs"] == [80, 70, 75, 72, 100]


@pytest.mark.tooling
def test_the_spread_of_scores_names_its_widest_page_and_the_median_page_s_spread():
    site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")

    def row(title, runs):
        return {"page": title, "title": title, "performance": runs[0], "performance_runs": runs, "tbt_ms": 0,
                "cls": 0, "transfer_bytes": 0, "accessibility": 100, "best-practices": 100, "seo": 100}  # fmt: skip

    s = site_speed.summary({"pages": [row("/", [99, 100]), row("A", [99, 65, 98]), row("B", [90, 95]), row("C", [97])]})
    assert (s["performance_spread"], s["performance_spread_page"]) == (34, "A")
    assert s["performance_spread_median"] == 1  # spreads 1, 34, 5, 0: the lower middle


@pytest.mark.tooling
def test_comparison_with_the_earlier_run_counts_only_pages_measured_both_times():
    site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")

    def row(page, transfer, cls, tbt, perf, lcp):
        return {"page": page, "transfer_bytes": transfer, "cls": cls, "tbt_ms": tbt, "performance": perf, "lcp_ms": lcp}

    results = {
        "pages": [
            row("/", 100, 0.0, 10, 99, 1500),
            row("a/", 200, 0.0, 900, 70, 3000),
            row("b/", 300, 0.2, 50, 80, 1050),
            row("new/", 1, 0, 0, 100, 1),
        ],
        "before": {
            "pages": [
                row("/", 150, 0.0, 20, 94, 2000),
                row("a/", 250, 0.1, 800, 75, 2000),
                row("b/", 200, 0.1, 60, 80, 1000),
            ]
        },
    }
    # Home: less transfer, no shift either time, less blocking, higher score, earlier paint.
    # a/: less transfer, less shift, more blocking, lower score, later paint.
    # b/: more transfer, more shift, less blocking, the same score, a paint only 50 ms later (not
    # counted: under LCP_LATER_MS). new/: not compared.
    assert site_speed.compared(results) == {
        "pages": 3, "transfer_less": 2, "cls_less_or_zero": 2, "tbt_less": 2, "performance_higher": 1, "lcp_later": 1,
        "lcp_later_ms": 100,
    }  # fmt: skip


@pytest.mark.tooling
def test_pages_measured_again_replace_their_rows_and_are_named_on_the_site_page():
    site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")
    bench = load_module("benchmark_page", ROOT / "docs" / "hooks" / "benchmark_page.py")

    def row(page, title, performance, tbt):
        return {
            "page": page,
            "title": title,
            "performance": performance,
            "tbt_ms": tbt,
            "cls": 0.0,
            "lcp_ms": 1500,
            "transfer_bytes": 300_000,
            "accessibility": 100,
            "best-practices": 100,
            "seo": 100,
            "performance_runs": [performance] * 5,
        }

    results = {
        "command": "python benchmarks/site_speed.py",
        "date": "2026-12-01",
        "runs_per_page": 5,
        "environment": {
            "lighthouse": "12.2.3",
            "browser": "Chromium",
            "cpu_cores": 2,
            "load_average_1min": {"min": 1, "median": 2, "max": 3, "samples": 10},
        },
        "pages": [row("/", "Home", 99, 30), row("a/", "A", 78, 900), row("b/", "B", 95, 100)],
        "throttled": {
            "date": "2026-12-01",
            "pages": [
                {"page": p, "title": p, "cls_cold": c, "cls_warm": 0} for p, c in (("/", 0), ("a/", 0.01), ("b/", 0))
            ],
            "cls_max": 0.01,
        },
    }
    again = site_speed.remeasured(
        results, [row("a/", "A", 93, 200)], [{"page": "a/", "title": "A", "cls_cold": 0, "cls_warm": 0}], [4.0, 5.0]
    )
    assert [(r["page"], r["performance"]) for r in again["pages"]] == [("/", 99), ("a/", 93), ("b/", 95)]
    assert again["summary"]["performance_min"] == 93 and again["summary"]["tbt_max_ms"] == 200
    assert again["throttled"]["cls_max"] == 0
    assert again["remeasured"]["pages"] == ["a/"] and again["remeasured"]["load_average_1min"]["max"] == 5.0
    sentence = bench.site_values(again)["remeasured"]
    assert "1 pages changed since (A)" in sentence and "median 4.5" in sentence
    del again["remeasured"]
    assert bench.site_values(again)["remeasured"] == ""

    # a page new since the full run (a page split in two) is added, in the nav's order
    grown = site_speed.remeasured(
        again, [row("c/", "C", 97, 120)], [{"page": "c/", "title": "C", "cls_cold": 0, "cls_warm": 0}], [1.0],
        order=["/", "c/", "a/", "b/"],
    )  # fmt: skip
    assert [r["page"] for r in grown["pages"]] == ["/", "c/", "a/", "b/"]
    assert [r["page"] for r in grown["throttled"]["pages"]] == ["/", "c/", "a/", "b/"]
    assert grown["summary"]["pages"] == 4
