"""A Python-Markdown extension that fills in the site's generated content under any generator.

Listed in ``markdown_extensions`` in mkdocs.yml as ``docs.extensions.fill``, so MkDocs and Zensical
both run it (neither runs the other's hooks): the build command runs from the repository's root
as ``python -m mkdocs ...`` or ``python -m zensical ...``, which puts that folder on ``sys.path``.
It holds no rules of its own; it calls the ones in ``docs/hooks/``:

* a preprocessor (before any other, as MkDocs' ``on_page_markdown`` did) fills each generated
  figure's alt text and ``{{ caption }}`` (``site_hooks.fill_figures``), reading both from the
  PNG files that ``docs/extensions/prebuild.py`` wrote into ``docs/figures/``, and every
  ``<!-- bench:KEY -->``, ``<!-- site:KEY -->`` and ``<!-- engine:KEY -->`` placeholder
  (``benchmark_page.fill_placeholders``); an unknown figure or key stops the build;
* a postprocessor (after the others, once arithmatex's HTML is in place) typesets each formula
  with the vendored KaTeX (``build_math.typeset_content``), so no page depends on a math script,
  and puts each formula's readable text beside it for the search index.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

DOCS = Path(__file__).resolve().parents[1]


@cache
def _prebuild():
    """docs/extensions/prebuild.py, whose ``load`` imports the hooks' modules once per process."""
    path = DOCS / "extensions" / "prebuild.py"
    spec = importlib.util.spec_from_file_location("backprop_site_prebuild", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load(name: str):
    return _prebuild().load(name)


def described_figures(folder: Path) -> dict[str, tuple[str, str]]:
    """(alt text, caption) of each light figure in ``folder``, read from its PNG's text chunks."""
    prebuild = _prebuild()
    out = {}
    for path in sorted(folder.glob("*.png")):
        if not path.stem.endswith("-dark"):
            text = prebuild.png_text(path.read_bytes())
            out[path.name] = (text.get("Description", ""), text.get("Caption", ""))
    return out


def fill(markdown: str, figures: Path, where: str = "a page") -> str:
    """The preprocessor's work on one page's Markdown: figures' alt text and captions, benchmark values."""
    if "figures/" in markdown or "{{ caption }}" in markdown:
        markdown = load("site_hooks").fill_figures(markdown, where, described_figures(figures))
    return load("benchmark_page").fill_placeholders(markdown)


class _Fill(Preprocessor):
    def __init__(self, md: Markdown, figures: Path) -> None:
        super().__init__(md)
        self.figures = figures

    def run(self, lines: list[str]) -> list[str]:
        return fill("\n".join(lines), self.figures).split("\n")


class _Math(Postprocessor):
    def run(self, text: str) -> str:
        return load("build_math").typeset_content(text, "a page")


class FillExtension(Extension):
    def __init__(self, **kwargs) -> None:
        self.config = {"figures": [str(DOCS / "figures"), "the folder the pre-build step wrote the figures to"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Above every built-in preprocessor (normalize_whitespace is 30, html_block 20), so the
        # placeholders are filled before Python-Markdown sees comments and images.
        md.preprocessors.register(_Fill(md, Path(self.getConfig("figures"))), "backprop_fill", 40)
        # Below raw_html (30), which puts arithmatex's stashed HTML back.
        md.postprocessors.register(_Math(md), "backprop_math", 5)


def makeExtension(**kwargs) -> FillExtension:
    return FillExtension(**kwargs)
