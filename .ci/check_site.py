"""Check a built site, whichever generator built it (MkDocs today, Zensical tomorrow).

    python .ci/check_site.py SITE_DIR [--docs DOCS_DIR]

A generator can report no issue and still publish a site without its content: math left as raw TeX,
figures never drawn, placeholders never filled, the notebook page never rendered. This script reads
only the HTML files of SITE_DIR (and the notebook sources under DOCS_DIR/notebooks) with the standard
library, so it runs the same on any generator's output. It prints one line per problem and exits 1
if there is any, 0 otherwise.

What it refuses:
- raw TeX in a page's visible text: ``$$``, ``\\(``, ``\\[``, a TeX command such as ``\\frac``, or
  inline ``$...$`` holding TeX (text inside code, pre, script, style and KaTeX's MathML annotation
  is TeX on purpose and is skipped);
- an image that is not there: an ``<img>`` (or ``<source>``, or icon link) whose file is missing or
  empty in the site, or that points outside the site (the site works offline);
- raw Markdown in a page's visible text: a code fence (three backticks), as a block whose
  indentation broke out of its admonition leaves it;
- a code name written across two source lines (``<code>`` outside ``<pre>`` holding a line
  break): the browser may break the line there, in the middle of the name;
- an unfilled placeholder: ``{{ ... }}``, an HTML comment of the form ``<!-- key:name -->`` (the
  build hooks' placeholders), an image with no alt text or with nbconvert's stand-in alt;
- a missing notebook page: each ``DOCS_DIR/notebooks/<name>.py`` must give a page
  ``notebooks/<name>/`` that shows the notebook's first line of code and at least one output.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# Text inside these elements is code or markup, where TeX and braces are meant literally.
LITERAL = {"code", "pre", "script", "style", "annotation", "textarea", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

RAW_TEX = re.compile(
    r"\$\$"  # display math delimiters
    r"|\\\(|\\\)|\\\[|\\\]"  # arithmatex's inline and display delimiters
    r"|\\[a-zA-Z]{2,}(?![a-zA-Z])"  # a TeX command: \frac, \partial, \mathbf, ...
    r"|(?<![\w$])\$[^$\s][^$\n]*?[\\^_{}][^$\n]*?\$"  # $...$ holding TeX (a price like $5 is not)
)
RAW_FENCE = re.compile(r"```")
MUSTACHE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
COMMENT_PLACEHOLDER = re.compile(r"<!--\s*[a-z][a-z_]*:[a-z0-9_]+\s*-->")
NBCONVERT_ALT = "No description has been provided for this image"


class Page(HTMLParser):
    """Collects a page's visible text (outside LITERAL elements), its image references and alts, and
    the text of each code name (``<code>`` outside ``<pre>``), its tags' attributes left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.literal_depth = 0
        self.stack: list[str] = []
        self.text: list[str] = []
        self.images: list[tuple[str, str | None]] = []  # (url, alt): alt None when absent
        self.files: list[str] = []  # other images the page loads (srcset candidates, icons)
        self.classes: set[str] = set()
        self.inline_code: list[str] = []
        self._code: list[str] | None = None  # the text of the code name being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.classes.update((a.get("class") or "").split())
        if tag == "img":
            self.images.append((a.get("src") or "", a.get("alt")))
        elif tag == "source" and a.get("srcset"):
            for candidate in (a.get("srcset") or "").split(","):
                if candidate.strip():
                    self.files.append(candidate.split()[0])
        elif tag == "link" and "icon" in (a.get("rel") or "").split():
            self.files.append(a.get("href") or "")
        if tag in VOID:
            return
        if tag == "code" and "pre" not in self.stack:
            self._code = []
        self.stack.append(tag)
        if tag in LITERAL:
            self.literal_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return  # a stray end tag
        while self.stack:
            top = self.stack.pop()
            if top in LITERAL:
                self.literal_depth -= 1
            if top == "code" and self._code is not None:
                self.inline_code.append("".join(self._code))
                self._code = None
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)
        if not self.literal_depth:
            self.text.append(data)


def _target(url: str, page: Path, site: Path, base: str) -> Path | None:
    """The file a relative or absolute URL points to, or None if it leaves the site.

    ``base`` is the path the site is served under (``/backprop-derived/``): an absolute URL (the
    404 page uses them) must start with it.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    page_url = base + page.relative_to(site).as_posix()
    resolved = urlsplit(urljoin(page_url, parts.path)).path
    if not resolved.startswith(base):
        return None
    path = site / unquote(resolved[len(base) :])
    return path / "index.html" if resolved.endswith("/") else path


def _snippet(text: str, start: int) -> str:
    return " ".join(text[max(0, start - 30) : start + 50].split())


def check_page(page: Path, site: Path, base: str = "/") -> list[str]:
    source = page.read_text(encoding="utf-8", errors="replace")
    parser = Page()
    parser.feed(source)
    name = page.relative_to(site).as_posix()
    problems = []
    text = "".join(parser.text)
    for m in RAW_TEX.finditer(text):
        problems.append(f"{name}: raw TeX {m[0]!r} in the text: ...{_snippet(text, m.start())}...")
        break  # one per page is enough to say the math was not typeset
    for m in RAW_FENCE.finditer(text):
        problems.append(f"{name}: a raw Markdown code fence in the text: ...{_snippet(text, m.start())}...")
        break  # one per page: the block's indentation left its admonition
    for shown in parser.inline_code:
        if "\n" in shown:
            problems.append(f"{name}: a code name across two source lines: {' '.join(shown.split())[:60]!r}")
    for m in MUSTACHE.finditer(text):
        problems.append(f"{name}: unfilled placeholder {m[0]!r}")
    for m in COMMENT_PLACEHOLDER.finditer(source):
        problems.append(f"{name}: unfilled placeholder {m[0]!r}")
    for url in [url for url, _ in parser.images] + parser.files:
        if url.startswith("data:"):
            continue
        if not url:
            problems.append(f"{name}: an image with no src")
            continue
        target = _target(url, page, site, base)
        if target is None:
            problems.append(f"{name}: image {url} is not served by the site (it must work offline)")
        elif not target.is_file() or target.stat().st_size == 0:
            problems.append(f"{name}: image {url} is missing from the site")
    for url, alt in parser.images:
        if alt is not None and (not alt.strip() or alt.strip() == NBCONVERT_ALT):
            problems.append(f"{name}: image {url[:60]} has no alt text of its own ({alt!r})")
        elif alt is None:
            problems.append(f"{name}: image {url[:60]} has no alt attribute")
    return problems


def first_code_line(notebook: Path) -> str:
    """The first line of code of a jupytext percent-format notebook (after its first ``# %%`` cell)."""
    in_code = False
    for line in notebook.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            in_code = "[markdown]" not in line
        elif in_code and line.strip() and not line.startswith("#"):
            return line.strip()
    raise ValueError(f"{notebook} has no code cell")


def check_notebooks(site: Path, docs: Path) -> list[str]:
    problems = []
    for notebook in sorted((docs / "notebooks").glob("*.py")):
        rel = notebook.relative_to(docs).with_suffix("")
        candidates = [site / rel / "index.html", site / rel.with_suffix(".html")]
        page = next((p for p in candidates if p.is_file()), None)
        if page is None:
            problems.append(f"notebook page for {notebook.relative_to(docs)} is missing (no {rel}/index.html)")
            continue
        html = page.read_text(encoding="utf-8", errors="replace")
        code = first_code_line(notebook)
        plain = re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")
        if code not in plain:
            problems.append(f"{page.relative_to(site)}: the notebook's code ({code!r}) is not on its page")
        if "OutputArea" not in html and "output" not in html:
            problems.append(f"{page.relative_to(site)}: the notebook page shows no cell output (not executed?)")
    return problems


def base_path(config: Path) -> str:
    """The path part of ``site_url`` in mkdocs.yml (which Zensical reads too), ending in ``/``."""
    m = re.search(r"^site_url:\s*(?:!ENV\s*\[[^\]]*,\s*)?['\"]?([^'\"\s\]]+)", config.read_text(encoding="utf-8"), re.M)
    path = urlsplit(m[1]).path if m else "/"
    return path if path.endswith("/") else path + "/"


def check_site(site: Path, docs: Path, base: str = "/") -> list[str]:
    pages = sorted(site.rglob("*.html"))
    if not pages:
        return [f"{site}: no HTML pages"]
    problems = []
    for page in pages:
        problems += check_page(page, site, base)
    return problems + check_notebooks(site, docs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site's folder")
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("--docs", type=Path, default=root / "docs", help="the pages' sources (for the notebooks)")
    parser.add_argument("--base", help="the path the site is served under (default: from site_url in mkdocs.yml)")
    args = parser.parse_args(argv)
    problems = check_site(args.site, args.docs, args.base or base_path(root / "mkdocs.yml"))
    for problem in problems:
        print(problem)
    pages = len(list(args.site.rglob("*.html")))
    print(f"{len(problems)} problem(s) in {pages} pages of {args.site}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
