"""The post-build check (.ci/check_site.py) on a small built site: a good one passes, and each planted
fault (raw TeX, a missing image, an unfilled placeholder, a missing or unexecuted notebook page) is
reported, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, load_module

check_site = load_module("check_site", ROOT / ".ci" / "check_site.py")

GOOD_PAGE = """<!doctype html><html><head><link rel="icon" href="../assets/icon.png"></head><body>
<p>The cost <span class="arithmatex"><span class="katex"><math><semantics><mi>C</mi>
<annotation encoding="application/x-tex">\\frac{1}{m} \\sum C_x</annotation></semantics></math>
<span class="katex-html">C</span></span></span> costs $5 to print, not $6.</p>
<pre><code>print("$$ \\\\frac{a}{b} {{ not a placeholder }}")</code></pre>
<figure><img src="../figures/net.png" alt="A 4-5-3 network"><figcaption>A network.</figcaption></figure>
</body></html>
"""
NOTEBOOK_PAGE = """<html><body><h1>Training on iris</h1>
<div class="jp-CodeCell"><pre><span class="kn">import</span> numpy <span class="k">as</span> np</pre></div>
<div class="jp-OutputArea"><pre>training: (105, 4)</pre></div></body></html>
"""
NOTEBOOK = "# %% [markdown]\n# # Training\n\n# %%\nimport numpy as np\nprint(1)\n"


def _site(tmp_path: Path, page: str = GOOD_PAGE, notebook_page: str | None = NOTEBOOK_PAGE) -> tuple[Path, Path]:
    site, docs = tmp_path / "site", tmp_path / "docs"
    for folder in (site / "cost", site / "figures", site / "assets", docs / "notebooks"):
        folder.mkdir(parents=True)
    (site / "cost" / "index.html").write_text(page, encoding="utf-8")
    (site / "figures" / "net.png").write_bytes(b"\x89PNG not empty")
    (site / "assets" / "icon.png").write_bytes(b"\x89PNG")
    (docs / "notebooks" / "iris.py").write_text(NOTEBOOK, encoding="utf-8")
    if notebook_page is not None:
        (site / "notebooks" / "iris").mkdir(parents=True)
        (site / "notebooks" / "iris" / "index.html").write_text(notebook_page, encoding="utf-8")
    return site, docs


def test_a_good_site_passes(tmp_path: Path):
    assert check_site.check_site(*_site(tmp_path)) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('<span class="katex-html">C</span>', "\\(C_x\\)", "raw TeX '\\\\('"),
        ("costs $5", "costs $$C$$ and $5", "raw TeX '$$'"),
        ("costs $5", "the sum \\sum_x C_x", "raw TeX '\\\\sum'"),
        ("costs $5", "costs $a_L^2$", "raw TeX '$a_L^2$'"),
        ("costs $5", "costs $5</p><p>```python</p><p>import numpy", "a raw Markdown code fence"),
        ("net.png", "gone.png", "image ../figures/gone.png is missing from the site"),
        ("../assets/icon.png", "../assets/no-icon.png", "image ../assets/no-icon.png is missing"),
        ("../figures/net.png", "https://example.org/net.png", "is not served by the site"),
        ("A network.</figcaption>", "{{ caption }}</figcaption>", "unfilled placeholder '{{ caption }}'"),
        ("</body>", "<p><!-- bench:speedup --></p></body>", "unfilled placeholder '<!-- bench:speedup -->'"),
        ('alt="A 4-5-3 network"', 'alt=""', "has no alt text of its own"),
        ('alt="A 4-5-3 network"', 'alt="No description has been provided for this image"', "no alt text of its own"),
        ("costs $5", "costs <code>bp.Network([4, 1,\n2])</code>", "a code name across two source lines"),
    ],
    ids=[
        "arithmatex-raw",
        "display-dollars",
        "tex-command",
        "inline-dollars",
        "raw-fence",
        "missing-image",
        "missing-icon",
        "external-image",
        "mustache",
        "comment-placeholder",
        "empty-alt",
        "nbconvert-alt",
        "code-across-lines",
    ],
)
def test_a_planted_fault_in_a_page_is_reported_once(tmp_path: Path, old: str, new: str, expected: str):
    assert old in GOOD_PAGE
    problems = check_site.check_site(*_site(tmp_path, GOOD_PAGE.replace(old, new)))
    assert len(problems) == 1 and expected in problems[0], problems


def test_an_empty_image_file_counts_as_missing(tmp_path: Path):
    site, docs = _site(tmp_path)
    (site / "figures" / "net.png").write_bytes(b"")
    (problem,) = check_site.check_site(site, docs)
    assert "image ../figures/net.png is missing" in problem


@pytest.mark.parametrize(
    "notebook_page, expected",
    [
        (None, "notebook page for notebooks/iris.py is missing"),
        (NOTEBOOK_PAGE.replace("numpy", "nothing"), "the notebook's code ('import numpy as np') is not on its page"),
        (NOTEBOOK_PAGE.replace('<div class="jp-OutputArea"><pre>training: (105, 4)</pre></div>', ""), "no cell output"),
    ],
    ids=["missing", "not-the-notebook", "not-executed"],
)
def test_a_missing_or_unexecuted_notebook_page_is_reported(tmp_path: Path, notebook_page, expected):
    (problem,) = check_site.check_site(*_site(tmp_path, notebook_page=notebook_page))
    assert expected in problem


def test_absolute_urls_resolve_under_the_base_path(tmp_path: Path):
    site, docs = _site(tmp_path, GOOD_PAGE.replace("../figures/net.png", "/backprop-derived/figures/net.png"))
    assert check_site.check_site(site, docs, "/backprop-derived/") == []
    (problem,) = check_site.check_site(site, docs, "/elsewhere/")
    assert "is not served by the site" in problem


def test_the_command_line_exits_1_on_a_problem_and_0_without(tmp_path: Path, capsys):
    site, docs = _site(tmp_path / "good")
    assert check_site.main([str(site), "--docs", str(docs), "--base", "/"]) == 0
    (site / "figures" / "net.png").unlink()
    assert check_site.main([str(site), "--docs", str(docs), "--base", "/"]) == 1
    assert "missing from the site" in capsys.readouterr().out


def test_the_base_path_comes_from_site_url():
    assert check_site.base_path(ROOT / "mkdocs.yml") == "/backprop-derived/"
