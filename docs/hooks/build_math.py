"""MkDocs hook: every formula is typeset at build time by the vendored KaTeX, so pages ship no math script.

The HTML a reader's browser receives already holds KaTeX's output (HTML for the eye, MathML for
assistive technology) for:

* the ``.arithmatex`` elements that pymdownx.arithmatex (generic mode) makes from ``\\( ... \\)``,
  ``\\[ ... \\]`` and ``$$ ... $$`` in the chapters and in the API reference (mkdocstrings
  renders docstrings with the same extensions);
* the ``$ ... $`` and ``$$ ... $$`` left raw inside the notebook's Markdown cells
  (``.jp-RenderedMarkdown``), which arithmatex never sees.

Pages then load only ``katex.min.css`` and its fonts. The fonts a page's math uses are preloaded
(``<link rel="preload">``), so they are requested with the stylesheets. A preload does not make
them arrive before the first paint, though, and the article's line breaks and table columns depend
on the math's glyph widths: painted with fallback widths, it moves when the fonts arrive (measured:
CLS up to 0.2 with the fonts half a second late). A table painted before its last rows arrive
moves too. So a page with math also gets a small inline script, the font gate, that keeps its
article (``.md-content``) hidden until those fonts have loaded and the article is complete, for at
most 3 s (the block period of KaTeX's own ``font-display: block``). Links inside the site load
pages the usual way (mkdocs.yml leaves Material's instant navigation off), so every article goes
through the gate in its page's own load. Everything outside the article paints at once; the
article's text, and with it the largest paint, waits for the fonts. Without JavaScript nothing is
hidden. The search index is built from the page before this hook runs (``on_post_page``), so
search results quote formulas as TeX source.

At the end of the build each KaTeX font file in the site is cut down (fontTools) to the characters
the site's typeset math shows, plus printable ASCII; the vendored originals in docs/ stay whole.
The fonts a math page preloads shrink to less than half, and the article, which waits for them,
is shown sooner.

KaTeX runs in Python through mini-racer, an embedded V8 that installs from PyPI as a wheel: the
build needs no Node. One JavaScript context is made per build on first use and closed at the end
of the build (also when it fails): a context left open keeps the process from exiting.

A formula KaTeX cannot parse is logged as an error naming the page and the formula, which fails
``mkdocs build --strict``; a non-strict build (``mkdocs serve``) shows KaTeX's message in place.
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.build_math")

KATEX_DIR = Path(__file__).resolve().parents[1] / "assets" / "katex"
KATEX_JS = KATEX_DIR / "katex.min.js"

# pymdownx.arithmatex, generic mode: <span class="arithmatex">\(..\)</span>, <div class="arithmatex">\[..\]</div>
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
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
    def one(match: re.Match) -> str:
        tag = match[1]
        tex, display = strip_delimiters(html.unescape(match[2]))
        return f'<{tag} class="arithmatex">{_typeset(tex, display and tag == "div", where)}</{tag}>'

    return ARITHMATEX.sub(one, output)


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
    """``output`` (a whole page) with every formula replaced by KaTeX's HTML."""
    return render_notebook_cells(render_arithmatex(output, where), where)


# --- fonts: preload the ones a page's math uses; the font gate hides the article until they are in


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


# The font gate: the article (.md-content) stays hidden until (1) the page's math fonts have loaded
# and (2) the article has been parsed to its end, which the script after </article> reports. Both
# were measured to move the article when it is painted early: (1) fallback glyph widths change line
# breaks and table columns, (2) a table painted before its later rows arrive changes its columns.
# A font that fails to load shows the article at once (waiting longer would not help). The cost:
# the article's text, not only its formulas, waits for the fonts, and so does the largest paint.
# The 3000 ms cap is the block period browsers give font-display: block; fonts later than that can
# still move the article. Inert without JavaScript: the classes are set by the script itself.
#
# Far blocks. On the longest pages most of the main thread's blocking time was the browser's first
# style and layout of the whole article, most of it KaTeX's spans far below the screen
# (benchmarks/results/main_thread.json). Behind the gate, the article's paragraphs, display
# formulas and code get content-visibility:auto: the browser lays each out when it comes near the
# screen, and until then lets it stand in at 3em. Only these three kinds, because the containment
# that comes with it leaves their boxes as they are: a paragraph holds inline content only, a
# display formula is a scroll container already (extra.css), and a code block's <pre> holds a
# <code> without margins. Left out, because there it would change sizes:
# - the .highlight wrapper: it would keep <pre>'s margins inside (32 px taller);
# - an empty paragraph: its margins would stop collapsing (lean_pages removes those);
# - notebook cells, which JupyterLab's styles lay out in flex boxes;
# - anything in a table: a skipped block counts as 0 wide when the columns are sized.
# Nor is the <code>: Material reads its width, to give a wide one a keyboard stop, and the width
# of a skipped element is its stand-in's.
# Paint containment cuts what a block draws outside its box; the clip is moved out by 1em
# (overflow-clip-margin) to leave room for a focus ring or a subscript under a last line.
# tests/test_browser.py checks on every page that no block, heading or figure moves and no pixel
# is cut. A marked block is a stacking context, so
# extra.css makes the footer one too, to keep it above: axe-core (so Lighthouse) lays out the
# content of a skipped code block near the end when it asks, and found it over the footer's text.
# A stand-in must never be on screen when the reader sees it, so:
# - before showing the article, the gate lays out every block on the first screen (again until no
#   block is added, since real heights differ from the stand-ins) and every block above the
#   address's #target, then scrolls to the target. Chromium otherwise paints the stand-ins first
#   and grows them a frame later (measured: CLS 0.136 on Hidden layer on a phone);
# - a click on a link to a place in the page first lays out every block above that place, so the
#   jump lands on it (with stand-ins above it, jumps landed up to 500 px off).
FAR_BLOCKS = ".md-content :is(p, div.arithmatex, .highlight > pre):not(.jupyter-wrapper *, table *)"
FAR_BLOCKS_STAND_IN = "3em"
FONT_GATE = (
    "<style>html.katex-fonts-pending .md-content{visibility:hidden}"
    f"html.far-blocks {FAR_BLOCKS}{{content-visibility:auto;"
    f"contain-intrinsic-height:auto {FAR_BLOCKS_STAND_IN};overflow-clip-margin:1em}}"
    "</style>"
    "<script>(function(d,F,B){var h=d.documentElement,fonts=false,parsed=false,shown=false;"
    "if(!d.fonts||!window.Promise)return;"
    'h.classList.add("katex-fonts-pending","far-blocks");'
    'function layOut(b){b.style.contentVisibility="visible"}'
    "function above(t){var b=d.querySelectorAll(B),k;"
    "for(k=0;k<b.length&&b[k].compareDocumentPosition(t)&4;k++)layOut(b[k])}"
    "function onScreen(){var b=d.querySelectorAll(B),H=innerHeight,k,r,w;"
    "do{w=[];for(k=0;k<b.length;k++){r=b[k].getBoundingClientRect();if(r.top>=H)break;"
    "if(r.bottom>0&&!b[k].style.contentVisibility)w.push(b[k])}w.forEach(layOut)}while(w.length)}"
    "function target(hash){try{return d.getElementById(decodeURIComponent(hash.slice(1)))}catch(e){return null}}"
    'd.addEventListener("click",function(e){var a=e.target.closest&&e.target.closest(\'a[href^="#"]\'),'
    't=a&&target(a.getAttribute("href"));if(t)above(t)},true);'
    "function show(){if(shown)return;shown=true;var t=location.hash&&target(location.hash);"
    'if(t){above(t);t.scrollIntoView()}onScreen();h.classList.remove("katex-fonts-pending")}'
    "function check(){if(fonts&&parsed)show()}"
    "window.__katexArticleParsed=function(){parsed=true;if(shown)onScreen();else check()};"
    "Promise.all(F.map(function(f){return d.fonts.load(f)})).then(function(){fonts=true;check()},show);"
    "setTimeout(show,3000)})(document,%s,%s)</script>"
)
# After </article>: reports the article complete to the gate above.
ARTICLE_PARSED = "<script>window.__katexArticleParsed&&__katexArticleParsed()</script>"


def preload_fonts(output: str) -> str:
    """Preload links for the page's KaTeX fonts, placed before its stylesheets, and the font gate.

    The gate's ``document.fonts.load`` needs KaTeX's @font-face rules, so it comes after the link to
    katex.min.css (an inline script there runs once the stylesheets before it have loaded); its
    second half, the script that says the article is complete, follows ``</article>``. A page with
    no ``</article>`` gets no gate, which would otherwise wait its full 3 s.
    """
    css = re.search(r'<link rel="stylesheet" href="([^"]*)katex\.min\.css"[^>]*>', output)
    faces = faces_used(output)
    if css is None or not faces:
        return output
    links = "".join(
        f'<link rel="preload" href="{css[1]}{font}" as="font" type="font/woff2" crossorigin>'
        for font in font_files(faces)
    )
    if "</article>" in output:
        wanted = json.dumps([f"{style} {weight} 1em {family}" for family, weight, style in faces])
        output = output[: css.end()] + FONT_GATE % (wanted, json.dumps(FAR_BLOCKS)) + output[css.end() :]
        output = output.replace("</article>", "</article>" + ARTICLE_PARSED, 1)
    first = output.find('<link rel="stylesheet"')
    return output[:first] + links + output[first:]


def on_config(config):
    """Refuse Material's instant navigation: it swaps the next article in without running its page's
    <head>, so the font gate would not hide it and late fonts would move it."""
    if "navigation.instant" in (config.theme.get("features") or []):
        raise PluginError("build_math: the font gate needs navigation.instant off in mkdocs.yml (theme.features)")
    return config


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
