"""MkDocs hook: pages that load fast and keep their place while images arrive.

* ``compact_png``: the chapter figures are compacted to a 256-colour palette PNG by the pre-build
  step (docs/extensions/prebuild.py), which calls it for every figure it writes.
* ``on_files``: the notebook pages (jupytext percent-format ``.py`` files that mkdocs-jupyter
  renders) get their downloads, generated at every build from the same source: the ``.py`` itself
  and an ``.ipynb`` made from it by jupytext (cells only; Jupyter runs it). Both sit in the page's
  own folder, e.g. ``notebooks/iris/iris.ipynb``.
* ``on_page_content``: code blocks and collapsed boxes (solutions, "how this is checked" notes) are
  left out of the search index (``data-search-exclude``, which Material's search honours). The index
  is fetched by every page, and code made up about two fifths of it, the collapsed boxes about a
  tenth of the rest; the prose a reader sees first, headings and inline code (the names of
  functions) stay searchable.
* ``on_post_page``:
  - every plain table is written into Material's scroll frame (``frame_tables``), so that
    Material's script does not move it in the page once it has loaded;
  - every image in the content gets ``width`` and ``height`` (read from the PNG: the generated
    figures' bytes, the notebook's inline ``data:`` images), so its box is reserved before it
    arrives; a PNG drawn at 190 dpi or more (its ``pHYs`` chunk says so) is shown at half its pixel
    size, sharp on a high-density screen. Images below the first screen, and both variants of a
    figure (light and dark, one of them hidden), load lazily;
  - a notebook's inline figures are compacted (a 256-colour palette) and moved into files beside
    the page, so they load lazily instead of weighing on the page's first load;
  - notebook pages keep only the rules of mkdocs-jupyter's inlined JupyterLab stylesheet whose
    selectors name classes the page uses (about 600 KB down to a few KB), drop nbconvert's Mermaid
    style, and show the download links under the title.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import html
import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

NOTEBOOKS = "notebooks/*.py"

# Images within this many characters of page content after the top of the article are on the
# first screen and load eagerly; later ones load lazily.
FIRST_SCREEN_CHARS = 2500

_files: dict[str, File] = {}


# --- search index -----------------------------------------------------------------------------

_CODE_BLOCK = re.compile(r'<div class="(language-[\w-]+ )?highlight"')
_COLLAPSED = re.compile(r"<details(?=[\s>])")


def on_page_content(html_text, page, config, files):
    html_text = _CODE_BLOCK.sub(lambda m: m[0] + " data-search-exclude", html_text)
    return _COLLAPSED.sub("<details data-search-exclude", html_text)


# --- downloads --------------------------------------------------------------------------------


def notebook_downloads(src_uri: str, source: str) -> dict[str, str]:
    """The download files of the notebook page ``src_uri`` (a percent-format ``.py``), by site path."""
    import jupytext

    stem = posixpath.splitext(posixpath.basename(src_uri))[0]
    folder = posixpath.join(posixpath.dirname(src_uri), stem)
    notebook = jupytext.reads(source, fmt="py:percent")
    return {
        f"{folder}/{stem}.py": source,
        f"{folder}/{stem}.ipynb": jupytext.writes(notebook, fmt="ipynb"),
    }


def on_files(files, config):
    for file in list(files):
        if fnmatch.fnmatch(file.src_uri, NOTEBOOKS):
            with open(file.abs_src_path, encoding="utf-8") as f:
                source = f.read()
            for path, content in notebook_downloads(file.src_uri, source).items():
                files.append(File.generated(config, path, content=content))
    _files.clear()
    _files.update({f.dest_uri: f for f in files})
    return files


def download_links(src_uri: str) -> str:
    stem = posixpath.splitext(posixpath.basename(src_uri))[0]
    return (
        f'<p class="notebook-downloads">Download this notebook: '
        f'<a href="{stem}.ipynb" download>{stem}.ipynb</a> (Jupyter) or '
        f'<a href="{stem}.py" download>{stem}.py</a> (the same cells as a Python script, '
        f"jupytext percent format).</p>"
    )


# --- images -----------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int, float | None]:
    """Width and height in pixels, and the resolution in dots per inch if the PNG records one."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))  # reads the header only
    if image.format != "PNG":
        raise ValueError(f"not a PNG: {image.format}")
    dpi = image.info.get("dpi")  # from the pHYs chunk, when it is in metres
    return image.width, image.height, float(dpi[0]) if dpi else None


def display_size(png: bytes) -> tuple[int, int]:
    """The CSS size to show a PNG at: its pixel size, halved when it was drawn for 2x screens."""
    width, height, dpi = png_size(png)
    if dpi and dpi >= 190:
        return round(width / 2), round(height / 2)
    return width, height


def compact_png(png: bytes, colors: int = 256) -> bytes:
    """``png`` with at most ``colors`` colours (a palette PNG), its Description text and resolution kept.

    Matplotlib figures are flat colours and their anti-aliased edges: 256 colours show no visible
    change and shrink the notebook's figures to about a third.
    """
    import io

    from PIL import Image, PngImagePlugin

    image = Image.open(io.BytesIO(png))
    image.load()
    info = PngImagePlugin.PngInfo()
    for key, value in getattr(image, "text", {}).items():
        info.add_itxt(key, value) if not value.isascii() else info.add_text(key, value)
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    palette = background.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True, pnginfo=info, dpi=image.info.get("dpi", (72, 72)))
    smaller = out.getvalue()
    return smaller if len(smaller) < len(png) else png


_DATA_PNG = re.compile(r'src="data:image/png;base64,([^"]+)"')


def move_inline_images(output: str, folder: Path, prefix: str) -> str:
    """Each inline PNG of a notebook page, compacted and written beside the page as ``prefix-<hash>.png``.

    Inline (``data:``) images are part of the HTML, so they cannot load lazily and the notebook's
    figures would weigh on its first load; as files below the fold they load when scrolled to.
    """

    def one(match: re.Match) -> str:
        png = compact_png(base64.b64decode(match[1]))
        name = f"{prefix}-{hashlib.sha1(png).hexdigest()[:12]}.png"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)
        _written[name] = png
        return f'src="{name}"'

    return _DATA_PNG.sub(one, output)


_written: dict[str, bytes] = {}  # images written by move_inline_images, for size_images to read


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')


def _image_bytes(src: str, page_url: str, site: Path | None = None) -> bytes | None:
    if src.startswith("data:image/png;base64,"):
        return base64.b64decode(src.split(",", 1)[1])
    if ":" in src or src.startswith("/"):
        return None
    src = src.split("#", 1)[0]  # figures come as name.png#only-light and name-dark.png#only-dark
    dest = posixpath.normpath(
        posixpath.join(posixpath.dirname(page_url) if not page_url.endswith("/") else page_url, html.unescape(src))
    )
    if site is not None:  # a finished site (docs/extensions/postbuild.py): the file itself
        path = site / dest.lstrip("./")
        return path.read_bytes() if dest.endswith(".png") and path.is_file() else None
    file = _files.get(dest.lstrip("./")) or _files.get(dest)
    if file is None or not dest.endswith(".png"):
        return _written.get(src)
    return file.content_bytes


def size_images(output: str, page_url: str, site: Path | None = None) -> str:
    """Give every content image width, height, and lazy loading when it is below the first screen.

    The images are read from the build's files, or from the folder ``site`` when it is given."""
    start = output.find('<article class="md-content__inner')
    if start < 0:
        return output
    head, body = output[:start], output[start:]

    def one(match: re.Match) -> str:
        tag = match[0]
        src = _SRC.search(tag)
        if src and " width=" not in tag and " height=" not in tag:
            data = _image_bytes(src[1], page_url, site)
            if data is not None:
                width, height = display_size(data)
                tag = tag[:4] + f' width="{width}" height="{height}"' + tag[4:]
        if " loading=" not in tag and " decoding=" not in tag:  # not twice (postbuild after the hooks)
            text_before = len(re.sub(r"<[^>]+>|data:[^\"]+", "", body[: match.start()]))
            # A figure comes twice, for the light and the dark scheme, and one of the two is hidden:
            # lazy, the hidden one is never fetched (the shown one on the first screen loads at once).
            lazy = text_before > FIRST_SCREEN_CHARS or bool(re.search(r'#only-(light|dark)"', tag))
            tag = tag[:4] + (' loading="lazy"' if lazy else "") + ' decoding="async"' + tag[4:]
        return tag

    return head + _IMG.sub(one, body)


# --- notebook pages ---------------------------------------------------------------------------

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')
_NOT = re.compile(r":(?:not|is|where|has)\([^()]*(?:\([^()]*\)[^()]*)*\)")  # alternatives or negations
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_VAR = re.compile(r"var\(\s*(--[\w-]+)")


def used_classes(page_html: str) -> set[str]:
    return {c for m in _CLASS_ATTR.finditer(page_html) for c in m[1].split()}


def split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside ``:is(...)`` and the like)."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(prelude[start:i].strip())
            start = i + 1
    out.append(prelude[start:].strip())
    return out


def prune_css(css: str, classes: set[str], referenced: str = "") -> str:
    """The rules of ``css`` that can matter to a page using ``classes``.

    A selector is kept when every class it names outside ``:not()``, ``:is()``, ``:where()`` and
    ``:has()`` is in ``classes`` (``:root`` after a combinator
    never matches and goes); rules inside ``@media`` and ``@supports`` are pruned the same way;
    ``@keyframes`` only serve JupyterLab's widgets and spinners and go. Then custom properties
    (``--jp-*``) that no kept declaration, and nothing in ``referenced``, reads are dropped.
    """
    import tinycss2

    def selector_used(selector: str) -> bool:
        if re.search(r"\S\s+:root", selector):
            return False
        return all(c in classes for c in _CLASS.findall(_NOT.sub("", selector)))

    def keep(rules) -> list:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = split_selectors(tinycss2.serialize(rule.prelude))
                used = [s for s in selectors if selector_used(s)]
                if used:
                    decls = [
                        d
                        for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
                        if d.type == "declaration"
                    ]
                    out.append((",".join(used), decls))
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content:
                inner = keep(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                if inner:
                    out.append((f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}", inner))
        return out

    kept = keep(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))

    def declarations(items):
        for _prelude, body in items:
            if body and isinstance(body[0], tuple):
                yield from declarations(body)
            else:
                yield from body

    values = {}
    reads = set(_VAR.findall(referenced))
    for d in declarations(kept):
        value = tinycss2.serialize(d.value)
        if d.name.startswith("--"):
            values.setdefault(d.name, []).append(value)
        else:
            reads.update(_VAR.findall(value))
    todo = list(reads)
    while todo:  # custom properties read by custom properties that are read
        for value in values.get(todo.pop(), []):
            for name in _VAR.findall(value):
                if name not in reads:
                    reads.add(name)
                    todo.append(name)

    def write(items) -> str:
        out = []
        for prelude, body in items:
            if body and isinstance(body[0], tuple):
                inner = write(body)
                if inner:
                    out.append(f"{prelude}{{{inner}}}")
                continue
            decls = [
                f"{d.name}:{tinycss2.serialize(d.value).strip()}{'!important' if d.important else ''}"
                for d in body
                if not d.name.startswith("--") or d.name in reads
            ]
            if decls:
                out.append(f"{prelude}{{{';'.join(decls)}}}")
        return "".join(out)

    return write(kept)


def lean_notebook(output: str, src_uri: str, folder: Path) -> str:
    """A notebook page with only the styles its cells use, and its download links under the title."""
    classes = used_classes(output)
    blocks = list(_STYLE.finditer(output))
    jupyter = [m for m in blocks if ".jupyter-wrapper" in m[1] or ".jp-" in m[1]]
    mermaid = [m for m in jupyter if ".jp-RenderedMermaid" in m[1]]
    jupyter = [m for m in jupyter if m not in mermaid]
    # Custom properties read outside JupyterLab's stylesheets: the page's other inline styles.
    others = "".join(m[1] for m in blocks if m not in jupyter and m not in mermaid)
    pruned = prune_css("\n".join(m[1] for m in jupyter), classes, others)
    pieces, pos = [], 0
    for m in sorted(jupyter + mermaid, key=lambda m: m.start()):
        pieces.append(output[pos : m.start()])
        if m is (jupyter[0] if jupyter else None):
            pieces.append(f"<style>{pruned}</style>")  # in the first one's place, the cascade kept in order
        pos = m.end()
    pieces.append(output[pos:])
    output = "".join(pieces)
    output = move_inline_images(output, folder, posixpath.splitext(posixpath.basename(src_uri))[0])
    return output.replace("</h1>", "</h1>" + download_links(src_uri), 1)


def on_post_page(output, page, config):
    if fnmatch.fnmatch(page.file.src_uri, NOTEBOOKS):
        folder = Path(config.site_dir) / posixpath.dirname(page.file.dest_uri)
        output = lean_notebook(output, page.file.src_uri, folder)
    return lean_html(output, page.url)


def lean_html(output: str, page_url: str, site: Path | None = None) -> str:
    """The lean-HTML steps of one page, in their one order: name spans unwrapped, tables framed,
    images sized. MkDocs' hook and the post-build step both call this; a second run changes nothing."""
    return size_images(frame_tables(plain_names(output)), page_url, site)


# --- code -------------------------------------------------------------------------------------

# Pygments wraps every name in a code block in <span class="n">. Material colours ``.n`` with
# --md-code-hl-name-color, which both its schemes set to the code's own colour, so the span draws
# nothing; it only adds an element for the browser to style and lay out (on the output-layer page
# 1,500 of its 18,000, and a long page's first layout is most of its blocking time on a phone).
_NAME_SPAN = re.compile(r'<span class="n">([^<]*)</span>')


def plain_names(output: str) -> str:
    """Unwrap Pygments' name spans (``<span class="n">W</span>`` -> ``W``); a second run changes nothing."""
    return _NAME_SPAN.sub(r"\1", output)


# --- tables -----------------------------------------------------------------------------------

# Material's scroll frame for a table (its components/content/table), written into the HTML here.
TABLE_FRAME = '<div class="md-typeset__scrollwrap"><div class="md-typeset__table"><table class="framed">'
_PLAIN_TABLE = re.compile(r"<table>(.*?)</table>", re.S)


def frame_tables(output: str) -> str:
    """Put every plain ``<table>`` in Material's scroll frame at build time, as ``<table class="framed">``.

    Material's script frames each table without a class once the page has loaded, moving it in the
    page; on a slow phone that costs the pages with tables most of their blocking time (in
    Lighthouse's run, style and layout of the whole page forced right after by Material's header:
    0.6 to 1.7 s of simulated blocking on the notation and conventions pages, against under 0.3 s
    with the frames written here). A table with a class is left alone by that script (and by
    Material's table styles, which extra.css gives ``table.framed``). A second run changes nothing.
    """
    return _PLAIN_TABLE.sub(lambda m: f"{TABLE_FRAME}{m[1]}</table></div></div>", output)
