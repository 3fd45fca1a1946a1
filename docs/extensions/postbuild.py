"""The post-build step: what can only be done on the finished site, for a generator without hooks.

    python docs/extensions/postbuild.py SITE

On every HTML page of SITE: the formulas' search text (``build_math.typeset_content``) is taken out
again, the KaTeX fonts the page's math uses are preloaded, and ``lean_pages.lean_html`` unwraps
Pygments' colourless name spans, writes every table into Material's scroll frame and gives every
content image its width and height and lazy loading; then each KaTeX font of the site is cut down
to the characters its formulas show (``build_math.subset_fonts``). MkDocs does the same through its hooks
(``on_post_page``, ``on_post_build``), calling the same functions; on its output this step changes
nothing but the fonts, cut again to the same characters. Zensical runs no hooks: CI runs this step
after ``zensical build``. Notebook pages (mkdocs-jupyter) are MkDocs' alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]


def _prebuild():
    spec = importlib.util.spec_from_file_location("backprop_site_prebuild", DOCS / "extensions" / "prebuild.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_url(page: Path, site: Path) -> str:
    """The page's URL relative to the site's root: ``cost/index.html`` -> ``cost/``."""
    rel = page.relative_to(site).as_posix()
    return rel[: -len("index.html")] if rel.endswith("index.html") else rel


def postbuild(site: Path) -> dict[str, int]:
    """Rewrite the pages of ``site`` in place and cut its KaTeX fonts; return counts of what changed."""
    prebuild = _prebuild()
    math, lean = prebuild.load("build_math"), prebuild.load("lean_pages")
    changed, pages = 0, []
    try:
        for page in sorted(site.rglob("*.html")):
            before = page.read_text(encoding="utf-8")
            after = math.preload_fonts(math.glue_punctuation(math.without_search_text(before)))
            after = lean.lean_html(after, page_url(page, site), site)
            if after != before:
                page.write_text(after, encoding="utf-8")
                changed += 1
            pages.append(after)
        fonts = site / "assets" / "katex" / "fonts"
        cut = math.subset_fonts(math.KATEX_DIR / "fonts", fonts, math.site_characters(pages)) if fonts.is_dir() else {}
    finally:
        math.close_engine()
    return {"pages": len(pages), "pages changed": changed, "fonts cut": len(cut)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site's folder")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"site: expected a built site (a folder with index.html), got {args.site}")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    counts = postbuild(args.site)
    print(", ".join(f"{value} {key}" for key, value in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
