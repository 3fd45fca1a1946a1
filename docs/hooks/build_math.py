"""MkDocs hook: every formula is typeset at build time by the vendored KaTeX, so pages ship no math script.

The HTML a reader's browser receives already holds KaTeX's output (HTML for the eye, MathML for
assistive technology) for:

* the ``.arithmatex`` elements that pymdownx.arithmatex (generic mode) makes from ``\\( ... \\)``,
  ``\\[ ... \\]`` and ``$$ ... $$`` in the chapters and in the API reference (mkdocstrings
  renders docstrings with the same extensions);
* the ``$ ... $`` and ``$$ ... $$`` left raw inside the notebook's Markdown cells
  (``.jp-RenderedMarkdown``), which arithmatex never sees.

Pages then load only ``katex.min.css`` and its fonts; the fonts a page's math uses are preloaded
(``<link rel="preload">``), so they are requested with the stylesheets. Nothing waits for them.

Search: Material's search index is made from each page before ``on_post_page`` typesets it, so
``on_page_content`` gives the index each formula as readable text (``∂C/∂W_L``, with the short
forms ``∂C/∂W`` and ``dC/dW``) in place of its TeX, and ``on_post_page`` takes that text out of the
page again.

At the end of the build each KaTeX font file in the site is cut down (fontTools) to the characters
the site's typeset math shows, plus printable ASCII; the vendored originals in docs/ stay whole.
The fonts a math page preloads shrink to less than half.

KaTeX runs in Python through mini-racer, an embedded V8 that installs from PyPI as a wheel: the
build needs no Node. One JavaScript context is made per build on first use and closed at the end
of the build (also when it fails): a context left open keeps the process from exiting.

A formula KaTeX cannot parse is logged as an error naming the page and the formula, which fails
``mkdocs build --strict``; a non-strict build (``mkdocs serve``) shows KaTeX's message in place.
"""

from __future__ import annotations

import atexit
import html
import logging
import re
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.build_math")

KATEX_DIR = Path(__file__).resolve().parents[1] / "assets" / "katex"
KATEX_JS = KATEX_DIR / "katex.min.js"

# pymdownx.arithmatex, generic mode: <span class="arithmatex">\(..\)</span>, <div class="arithmatex">\[..\]</div>
# (marked data-search-exclude once its search text is beside it). Typeset math starts with KaTeX's
# <span class="katex...">; the pattern then stops at its first </span> and the element is left alone.
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex"(?: data-search-exclude)?>(.*?)</\1>', re.S)
_TYPESET = '<span class="katex'
_EXCLUDED = 'class="arithmatex" data-search-exclude>'
# A notebook Markdown cell as nbconvert writes it; its content holds no nested <div>.
NOTEBOOK_CELL = re.compile(r'(<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>)(.*?)(</div>)', re.S)
# Inside a cell: leave tags, code and preformatted text alone; typeset $$..$$ and $..$ in the rest.
_NOT_TEXT = re.compile(r"(<code\b.*?</code>|<pre\b.*?</pre>|<[^>]+>)", re.S)
_DOLLARS = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\$])\$(?![\s$])(.+?)(?<![\s\\])\$", re.S)


class KaTeX:
    """The vendored katex.min.js in an embedded V8 context; ``close()`` releases it."""

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        self._ctx = MiniRacer()
        self._ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
        self._cache: dict[tuple[str, bool], str] = {}

    def render(self, tex: str, display: bool) -> str:
        """KaTeX's HTML and MathML for ``tex``; raises ``ValueError`` with KaTeX's message if it cannot parse."""
        key = (tex, display)
        if key not in self._cache:
            from py_mini_racer import JSEvalException

            try:
                self._cache[key] = self._ctx.call(
                    "katex.renderToString",
                    tex,
                    {"displayMode": display, "throwOnError": True, "output": "htmlAndMathml"},
                )
            except JSEvalException as err:
                message = next((line for line in str(err).splitlines() if "ParseError" in line), str(err))
                raise ValueError(message.split("ParseError: ", 1)[-1]) from None
        return self._cache[key]

    def rendered(self) -> list[str]:
        """Every formula this context has typeset so far, as KaTeX's HTML and MathML."""
        return list(self._cache.values())

    def close(self) -> None:
        self._ctx.close()


_katex: KaTeX | None = None


def engine() -> KaTeX:
    global _katex
    if _katex is None:
        _katex = KaTeX()
        # A generator that runs no hooks (Zensical) never calls close_engine(): close it at exit, or
        # the open V8 context keeps the process alive.
        atexit.register(close_engine)
    return _katex


def close_engine() -> None:
    global _katex
    if _katex is not None:
        _katex.close()
        _katex = None


def strip_delimiters(tex: str) -> tuple[str, bool]:
    """The TeX inside arithmatex's delimiters, and whether it is display math."""
    tex = tex.strip()
    for left, right, display in ((r"\(", r"\)", False), (r"\[", r"\]", True), ("$$", "$$", True)):
        if tex.startswith(left) and tex.endswith(right):
            return tex[len(left) : -len(right)].strip(), display
    return tex, True  # \begin{align} ... \end{align} without delimiters: a display environment


def _typeset(tex: str, display: bool, where: str) -> str:
    try:
        return engine().render(tex, display)
    except ValueError as err:
        log.error("KaTeX cannot typeset a formula on %s: %r: %s", where, tex, err)
        return f'<span class="katex-error" title="{html.escape(str(err))}">{html.escape(tex)}</span>'


def render_arithmatex(output: str, where: str) -> str:
    """Each arithmatex element still holding TeX, typeset (those already typeset are left alone)."""

    def one(match: re.Match) -> str:
        if match[2].lstrip().startswith(_TYPESET):
            return match[0]
        tag = match[1]
        tex, display = strip_delimiters(html.unescape(match[2]))
        return f'<{tag} class="arithmatex">{_typeset(tex, display and tag == "div", where)}</{tag}>'

    return ARITHMATEX.sub(one, output)


def typeset_content(content: str, where: str) -> str:
    """A page's content HTML with every formula typeset, each followed by its search text.

    What the Markdown extension (docs/extensions/fill.py) does to every page under either
    generator: the element keeps ``data-search-exclude`` and is followed by the hidden span of
    ``searchable_math``, so a search index made from the content takes the formula's readable text
    instead of KaTeX's output; ``render_page`` removes both from the finished page.
    """

    def one(match: re.Match) -> str:
        if match[2].lstrip().startswith(_TYPESET):
            return match[0]
        tag = match[1]
        tex, display = strip_delimiters(html.unescape(match[2]))
        return (
            f"<{tag} {_EXCLUDED}{_typeset(tex, display and tag == 'div', where)}</{tag}>"
            f'<span class="math-search" hidden>{html.escape(search_text(tex))}</span>'
        )

    return ARITHMATEX.sub(one, content)


def render_dollars(text: str, where: str) -> str:
    """Typeset the ``$$..$$`` (display) and ``$..$`` (inline) math in one HTML fragment's text."""

    def one(match: re.Match) -> str:
        display = match[1] is not None
        return _typeset(html.unescape(match[1] if display else match[2]).strip(), display, where)

    parts = _NOT_TEXT.split(text)
    return "".join(part if i % 2 else _DOLLARS.sub(one, part) for i, part in enumerate(parts))


def render_notebook_cells(output: str, where: str) -> str:
    return NOTEBOOK_CELL.sub(lambda m: m[1] + render_dollars(m[2], where) + m[3], output)


def render_page(output: str, where: str) -> str:
    """``output`` (a whole page) with every formula replaced by KaTeX's HTML (and the search index's
    text of each formula, ``searchable_math``, taken out again)."""
    return glue_punctuation(without_search_text(render_notebook_cells(render_arithmatex(output, where), where)))


# The punctuation a line must not separate from the inline formula beside it: an opening parenthesis
# before it; closing punctuation or a possessive 's after it.
_INLINE_MATH = '<span class="arithmatex">'
_BOX = 'class="katex-base"'  # one of the boxes of KaTeX's inline HTML (the vendored build's class name)
_SPAN_TAG = re.compile(r"<span\b[^>]*>|</span>")
_PUNCTUATION_AFTER = re.compile(r"[,.;:)]+|'s\b|’s\b")
_GLUED = re.compile(r'<span class="math-glue(?: math-glue-long)?">\(?$')  # a formula already glued
_GLUED_REACH = len('<span class="math-glue math-glue-long">(')  # how far back _GLUED can start


def glue_punctuation(output: str) -> str:
    """Each inline formula with an adjacent "(" or closing punctuation wrapped in one ``math-glue`` span.

    KaTeX's inline HTML is a row of inline blocks, and Chromium breaks a line between one of them
    and the text beside it: a formula could start a line with its comma left on the one above, or
    end a line after its opening parenthesis. The span (``white-space: nowrap`` in extra.css) keeps
    them on one line. A formula of several boxes (KaTeX breaks a long one between them) keeps those
    breaks: it is marked ``math-glue-long``, and only its opening parenthesis is sure to stay with it.
    A formula already glued is left as it is, so the post-build step can run this again.
    """
    parts, done = [], 0
    start = output.find(_INLINE_MATH)
    while start != -1:
        depth, end = 0, len(output)
        for tag in _SPAN_TAG.finditer(output, start):
            depth += -1 if tag[0] == "</span>" else 1
            if depth == 0:
                end = tag.end()
                break
        before = "(" if start > done and output[start - 1] == "(" else ""
        after = _PUNCTUATION_AFTER.match(output, end)
        if (before or after) and not _GLUED.search(output, max(done, start - _GLUED_REACH), start):
            tail = after[0] if after else ""
            # a formula of several boxes may still break between them (extra.css: math-glue-long)
            long = " math-glue-long" if output.count(_BOX, start, end) > 1 else ""
            glued = f'<span class="math-glue{long}">{before}{output[start:end]}{tail}</span>'
            parts += [output[done : start - len(before)], glued]
            done = end + len(tail)
        start = output.find(_INLINE_MATH, end)
    return "".join(parts) + output[done:]


def without_search_text(output: str) -> str:
    """A finished page without the formulas' search text and ``data-search-exclude`` marks."""
    return _SEARCH_ONLY.sub("", output.replace(_EXCLUDED, 'class="arithmatex">'))


# --- search: formulas as readable text

# Greek letters and operators as the characters a reader types (or pastes) into the search box.
_SYMBOLS = {
    **{
        rf"\{name}": char
        for name, char in zip(
            [
                "alpha",
                "beta",
                "gamma",
                "delta",
                "epsilon",
                "varepsilon",
                "zeta",
                "eta",
                "theta",
                "lambda",
                "mu",
                "nu",
                "xi",
                "pi",
                "rho",
                "sigma",
                "tau",
                "phi",
                "varphi",
                "chi",
                "psi",
                "omega",
                "Delta",
                "Gamma",
                "Lambda",
                "Sigma",
                "Phi",
                "Psi",
                "Omega",
            ],
            "αβγδεεζηθλμνξπρστφφχψωΔΓΛΣΦΨΩ",
        )
    },
    r"\partial": "∂",
    r"\nabla": "∇",
    r"\sum": "Σ",
    r"\prod": "Π",
    r"\cdot": "·",
    r"\otimes": "⊗",
    r"\times": "×",
    r"\odot": "⊙",
    r"\circ": "∘",
    r"\infty": "∞",
    r"\approx": "≈",
    r"\neq": "≠",
    r"\ne": "≠",
    r"\leq": "≤",
    r"\le": "≤",
    r"\geq": "≥",
    r"\ge": "≥",
    r"\to": "→",
    r"\rightarrow": "→",
    r"\in": "∈",
    r"\top": "T",
    r"\ldots": "…",
    r"\dots": "…",
    r"\cdots": "…",
    r"\log": "log",
    r"\exp": "exp",
    r"\max": "max",
    r"\min": "min",
}
_GROUP = r"\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}"  # a braced group, nested up to three deep
_DROP = re.compile(
    r"\\(left|right|big|Big|bigg|Bigg|displaystyle|textstyle|limits|nolimits|quad|qquad)\b|\\[,;:!> ]|~|&"
)
_STYLE = re.compile(
    r"\\(mathbf|boldsymbol|bm|mathrm|mathit|mathcal|mathbb|operatorname|text|textbf|textrm|mbox)\s*" + _GROUP
)
_FRAC = re.compile(r"\\[dt]?frac\s*" + _GROUP + r"\s*" + _GROUP)
_ENV = re.compile(r"\\(begin|end)\{[^}]*\}(\{[^}]*\})?")
_PARTIAL_RATIO = re.compile(r"∂\s*([A-Za-zα-ωΑ-Ω])[^/]*/\s*∂\s*([A-Za-zα-ωΑ-Ω])")


def tex_to_text(tex: str) -> str:
    """A formula as plain text a reader would type: ``\\frac{\\partial C}{\\partial W_L}`` -> ``∂C/∂W_L``.

    Fractions become ``a/b`` (with brackets around a numerator or denominator of several terms),
    Greek letters and operators their characters, styles (``\\mathbf`` ...) and sizing commands go,
    sub- and superscripts stay as ``_`` and ``^``.
    """
    text = _ENV.sub(" ", tex)
    text = re.sub(r"\\tag\*?\s*" + _GROUP, "", text)
    text = re.sub(r"\\\\(\[[^]]*\])?", " ", text)
    text = _DROP.sub(" ", text)
    for command in sorted(_SYMBOLS, key=len, reverse=True):
        text = re.sub(re.escape(command) + r"(?![A-Za-z])\s*", _SYMBOLS[command], text)
    previous = None
    while previous != text:  # inner groups first, so a fraction of styled letters comes out whole
        previous = text
        text = _STYLE.sub(r"\2", text)

        def frac(match: re.Match) -> str:
            top, bottom = (part.strip() for part in match.groups())
            wrap = lambda part: f"({part})" if re.search(r"[\s+\-−=]", part) else part  # noqa: E731
            return f"{wrap(top)}/{wrap(bottom)}"

        text = _FRAC.sub(frac, text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)  # any other command: its name
    text = re.sub(r"([_^])\{([^{}]*)\}", r"\1\2", text)
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"([(\[])\s+", r"\1", re.sub(r"\s+([)\]])", r"\1", text))
    return " ".join(text.split())


# Greek letters that the pages' code and prose also spell out, as readers type them.
_GREEK_NAMES = {"δ": "delta", "Δ": "Delta", "σ": "sigma", "ε": "epsilon", "θ": "theta", "η": "eta"}


def search_aliases(text: str) -> list[str]:
    """Short forms of each ratio of partial derivatives in ``text``, as a reader types them
    (``∂C/∂W_L`` gives ``∂C/∂W`` and ``dC/dW``), and the names of its Greek letters (``δ``: delta)."""
    out = []
    for top, bottom in _PARTIAL_RATIO.findall(text):
        out += [f"∂{top}/∂{bottom}", f"d{top}/d{bottom}"]
    out += [name for letter, name in _GREEK_NAMES.items() if letter in text]
    return list(dict.fromkeys(out))


def searchable_math(html_text: str) -> str:
    """Each formula of a page's content, for the search index, as readable text instead of TeX.

    Material's search plugin reads the content before ``on_post_page`` typesets it. Each arithmatex
    element gets ``data-search-exclude`` (the plugin skips it) and is followed by a hidden span
    with its text (``tex_to_text``) and short forms of its derivatives (``search_aliases``), which
    the index takes instead; ``on_post_page`` removes both again, so readers never get them.
    """

    def one(match: re.Match) -> str:
        if match[0].startswith(f"<{match[1]} {_EXCLUDED}"):
            return match[0]  # typeset by the Markdown extension, its search text already beside it
        tex, _ = strip_delimiters(html.unescape(match[2]))
        return (
            f"<{match[1]} {_EXCLUDED}{match[2]}</{match[1]}>"
            f'<span class="math-search" hidden>{html.escape(search_text(tex))}</span>'
        )

    return ARITHMATEX.sub(one, html_text)


def search_text(tex: str) -> str:
    """What the search index gets for a formula: its readable text and the short forms of its derivatives."""
    text = tex_to_text(tex)
    return " ".join([text, *search_aliases(text)])


_SEARCH_ONLY = re.compile(r'<span class="math-search" hidden>[^<]*</span>')


# The chapters that derive the network's gradients, and the one that defines the total derivative: a
# search for one of their subjects (∂C/∂W, dC/dW, delta, total derivative) should land there before
# the pages that only use it, which are often shorter or carry the term in their title.
DERIVATION_CHAPTERS = {"output-layer.md", "output-layer-assembled.md", "hidden-layer.md", "total-derivative.md"}
SEARCH_BOOST = 3


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri in DERIVATION_CHAPTERS:
        page.meta.setdefault("search", {}).setdefault("boost", SEARCH_BOOST)  # read by Material's search plugin
    return markdown


# A formula the Markdown extension typeset, its search text after it (see typeset_content).
_TYPESET_MATH = re.compile(
    r'<(span|div) class="arithmatex" data-search-exclude>(<span class="katex.*?)</\1>'
    r'(?=<span class="math-search" hidden>)',
    re.S,
)
_ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def untypeset(html_text: str) -> str:
    """Each formula typeset by ``typeset_content`` given back its TeX, as arithmatex wrote it.

    Material's search plugin skips an element marked ``data-search-exclude`` only up to the first
    end tag of its kind inside it, so the text of KaTeX's nested spans would reach the index. MkDocs
    therefore indexes the TeX (skipped) beside its readable text, and ``on_post_page`` typesets it
    again: the same KaTeX output, from the engine's cache.
    """

    def one(match: re.Match) -> str:
        tex = _ANNOTATION.search(match[2])
        if tex is None:  # KaTeX's error message, not a formula
            return match[0]
        left, right = (r"\[", r"\]") if match[1] == "div" else (r"\(", r"\)")
        return f"<{match[1]} {_EXCLUDED}{left}{tex[1]}{right}</{match[1]}>"

    return _TYPESET_MATH.sub(one, html_text)


def on_page_content(html_text, page, config, files):
    return searchable_math(untypeset(html_text))


# --- fonts: preload the ones a page's math uses


def _font_tables() -> tuple[dict[tuple[str, str, str], str], list[tuple[set[str], tuple[str, str, str]]]]:
    """From katex.min.css: the woff2 file of each (family, weight, style), and which classes pick which font."""
    css = (KATEX_DIR / "katex.min.css").read_text(encoding="utf-8")
    faces = {}
    for face in re.findall(r"@font-face\{([^}]*)\}", css):
        family = re.search(r"font-family:\"?(KaTeX_\w+)", face)[1]
        weight = re.search(r"font-weight:(\w+)", face)[1].replace("normal", "400").replace("bold", "700")
        style = re.search(r"font-style:(\w+)", face)[1]
        faces[family, weight, style] = re.search(r"url\((fonts/[^)]+\.woff2)\)", face)[1]
    picks = []
    for selectors, body in re.findall(r"([^{}@]+)\{([^{}]*font-family:\"?KaTeX_[^{}]*)\}", css):
        family = re.search(r"font-family:\"?(KaTeX_\w+)", body)[1]
        weight = "700" if re.search(r"font-weight:(bold|700)", body) else "400"
        style = "italic" if "font-style:italic" in body else "normal"
        for selector in selectors.split(","):
            classes = set(re.findall(r"\.([\w-]+)", selector)) - {"katex"}
            if classes:
                picks.append((classes, (family, weight, style)))
    return faces, picks


_FONTS = None


def _fonts():
    global _FONTS
    if _FONTS is None:
        _FONTS = _font_tables()
    return _FONTS


def faces_used(page_html: str) -> list[tuple[str, str, str]]:
    """The KaTeX font faces (family, weight, style) the typeset math on a page can ask for."""
    faces, picks = _fonts()
    if 'class="katex"' not in page_html:
        return []
    elements = {frozenset(attr.split()) for attr in re.findall(r'class="([^"]*)"', page_html)}
    wanted = {("KaTeX_Main", "400", "normal")}  # .katex's own font
    wanted |= {font for needs, font in picks if any(needs <= classes for classes in elements)}
    return sorted(f for f in wanted if f in faces)


def font_files(faces: list[tuple[str, str, str]]) -> list[str]:
    """The KaTeX font files (``fonts/....woff2``) of these faces."""
    files, _ = _fonts()
    return sorted(files[face] for face in faces)


def preload_fonts(output: str) -> str:
    """Preload links for the page's KaTeX fonts, placed before its stylesheets.

    The fonts are then requested with the stylesheets instead of once the browser has found
    formulas that need them; cut to the site's characters (below) they are small, so they are
    usually in before the first paint. Nothing waits for them: KaTeX's ``font-display: block``
    hides only the formulas' glyphs while a font is loading, never the article.
    """
    css = re.search(r'<link rel="stylesheet" href="([^"]*)katex\.min\.css"[^>]*>', output)
    faces = faces_used(output)
    if css is None or not faces or f'<link rel="preload" href="{css[1]}fonts/' in output:
        return output  # no math, or preloaded already (a second pass, docs/extensions/postbuild.py)
    links = "".join(
        f'<link rel="preload" href="{css[1]}{font}" as="font" type="font/woff2" crossorigin>'
        for font in font_files(faces)
    )
    first = output.find('<link rel="stylesheet"')
    return output[:first] + links + output[first:]


def on_post_page(output, page, config):
    return preload_fonts(render_page(output, page.file.src_uri))


# --- fonts: each KaTeX font cut down to the characters the site's math shows

# KaTeX's HTML half: the MathML half before it is read by assistive technology in the browser's own
# math font, never in KaTeX's.
_MATHML = re.compile(r'<span class="katex-mathml">.*?</math></span>', re.S)
# Kept in every font whatever the math shows: printable ASCII (digits and parentheses also make
# katex.min.css's equation numbers).
ALWAYS = {chr(c) for c in range(0x20, 0x7F)}


def math_characters(rendered: list[str]) -> set[str]:
    """The characters KaTeX's HTML shows in these rendered formulas (its text, not its MathML)."""
    chars = set(ALWAYS)
    for formula in rendered:
        for text in re.findall(r">([^<]+)<", _MATHML.sub("", formula)):
            chars |= set(html.unescape(text))
    return chars


def subset_fonts(source: Path, target: Path, chars: set[str]) -> dict[str, tuple[int, int]]:
    """Write each KaTeX woff2 in ``source`` to ``target`` with only the glyphs of ``chars``.

    Hinting and the font names a browser does not read are dropped too; glyph shapes and advance
    widths are kept. Returns {file name: (bytes before, bytes after)}.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # KaTeX's fonts carry 1970 timestamps; fontTools warns about each one, twice per file.
    logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False  # browsers on phones and Linux ignore TrueType hinting
    options.name_IDs = [1, 2]  # family and style; the rest (copyright, URLs) is in assets/katex/LICENSE
    options.notdef_outline = False
    options.layout_features = ["*"]
    target.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for font_file in sorted(source.glob("*.woff2")):
        font = TTFont(font_file)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        out = target / font_file.name
        subset.save_font(font, str(out), options)
        sizes[font_file.name] = (font_file.stat().st_size, out.stat().st_size)
    return sizes


def site_characters(pages: list[str]) -> set[str]:
    """``math_characters`` of every formula typeset on these finished pages, read back from the TeX
    KaTeX keeps in each formula's MathML annotation (rendered again, from the engine's cache)."""
    rendered = [
        engine().render(html.unescape(tex), display='display="block"' in attributes)
        for page in pages
        for attributes, tex in _MATH_TEX.findall(page)
    ]
    return math_characters(rendered)


# KaTeX's MathML: <math ... display="block"> for display math, the TeX in its annotation.
_MATH_TEX = re.compile(r'<math\b([^>]*)>.*?<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def on_post_build(config):
    # Before the engine closes: its cache holds every formula this build rendered. The site's
    # copies of the fonts sit beside its katex.min.css (a site without it keeps no fonts to cut).
    css = next((str(c) for c in (config.extra_css if config else []) if str(c).endswith("katex.min.css")), None)
    target = Path(config.site_dir) / Path(css).parent / "fonts" if css else None
    if _katex is not None and target is not None and target.is_dir():
        sizes = subset_fonts(KATEX_DIR / "fonts", target, math_characters(_katex.rendered()))
        before, after = (sum(size[i] for size in sizes.values()) for i in (0, 1))
        log.info("KaTeX fonts cut to the site's characters: %d KB down to %d KB", before // 1024, after // 1024)
    close_engine()


def on_build_error(error):
    close_engine()


def on_shutdown():
    close_engine()
