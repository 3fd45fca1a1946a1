"""The built site in a real browser: Chromium driven by Playwright, served with gzip from 127.0.0.1.

For every page in the navigation: HTTP 200 and a title, no console error, no failed request, no
request to another host, a copy button on every code block, every image loaded and described, and
no serious or critical axe-core violation. Speed (issue 11): the raw HTML the server sends holds
every formula already typeset by KaTeX and no unrendered TeX delimiter, no KaTeX script is loaded,
the cumulative layout shift (a PerformanceObserver, from the start of the load) stays at or below
0.02 on a desktop and on a phone-sized viewport, and on the phone also when the math fonts arrive
1.5 s late (a second server holds them back; a copy of a page without the font gate must fail),
and a page with everything it loads weighs at most 300 KiB gzipped.
Site-wide: search, links between pages, the colour-scheme toggle (the site's own, in place of
Material's palette component), copy buttons that appear as code blocks are scrolled to, the
notebook downloads. Planted
faults, in copies of a page at the same depth beside an unplanted control copy, show that the
checks can fail.

The site is built into a temporary folder with ``SITE_URL`` (read by ``site_url: !ENV`` in
mkdocs.yml) set to the local server, so the checkout is left as it was. The browser is
``$CHROMIUM`` if set, else Debian's ``chromium``, else Playwright's own download. Screenshots of
every page in both schemes are taken only when asked: ``BROWSER_SCREENSHOTS=folder`` writes them
there (e.g. ``BROWSER_SCREENSHOTS=screenshots python -m pytest tests/test_browser.py``).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, load_module

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (part of the test extra)")


def _find_chromium() -> str | None:
    """$CHROMIUM, else Debian's chromium, else a browser that `playwright install` downloaded."""
    if os.environ.get("CHROMIUM"):  # set by CI: that browser or none, never silently another one
        if not Path(os.environ["CHROMIUM"]).exists():
            pytest.fail(f"$CHROMIUM is {os.environ['CHROMIUM']!r}, which does not exist", pytrace=False)
        return os.environ["CHROMIUM"]
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    with sync_api.sync_playwright() as p:
        bundled = p.chromium.executable_path
    return bundled if Path(bundled).exists() else None


CHROMIUM = _find_chromium()
if CHROMIUM is None:
    pytest.skip(
        "Chromium is not installed, so the browser tests are skipped. On Debian: "
        "sudo apt-get install -y chromium; elsewhere: python -m playwright install chromium",
        allow_module_level=True,
    )

AXE = ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ["BROWSER_SCREENSHOTS"]).resolve() if os.environ.get("BROWSER_SCREENSHOTS") else None
TRANSFER_BUDGET = 300 * 1024  # bytes on the wire (gzip) for a page and everything it loads
CLS_LIMIT = 0.02
PHONE = {
    "viewport": {"width": 412, "height": 823},
    "device_scale_factor": 1.75,
    "is_mobile": True,
    "has_touch": True,
}  # the size Lighthouse's mobile preset emulates
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PLACEHOLDER_ALT = "No description has been provided for this image"


# One home for the nav reader and the gzip server: the site-speed benchmark's.
site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")
build_math = load_module("build_math", ROOT / "docs" / "hooks" / "build_math.py")  # the font gate's scripts
PAGES = [path for _, path in site_speed.nav_pages()]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site strictly into a temporary folder and serve it on 127.0.0.1; yield (folder, URL).

    The build gets the local server's address through ``SITE_URL`` (mkdocs.yml reads it with
    ``!ENV``), so the sitemap and canonical links name it; nothing is written into the checkout.
    """
    out = tmp_path_factory.mktemp("site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(site_speed.GzipHandler, directory=str(out)))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SITE_URL=url)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    _plant_faults(out)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def base_url(site):
    return site[1]


# Seconds the second server holds back each font file: later than the first paint, and well under
# the font gate's 3 s cap (after which the article is shown and late fonts would move it).
LATE_FONTS = 1.5


class LateFontsHandler(site_speed.GzipHandler):
    """Font files LATE_FONTS seconds late."""

    def handle(self):
        # The browser may close the page while a font is still held back.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def send_head(self):
        path = self.path.split("?")[0]
        if path.endswith(".woff2"):
            time.sleep(LATE_FONTS)
        return super().send_head()


@pytest.fixture(scope="session")
def late_fonts_url(site):
    """The same built site from a second server whose font files arrive LATE_FONTS seconds late."""
    folder, _ = site
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(LateFontsHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Visit:
    status: int | None = None
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    uncopyable_blocks: int = 0
    code_blocks: int = 0
    bad_images: list[str] = field(default_factory=list)
    images: int = 0
    axe: list[dict] = field(default_factory=list)
    raw_html: list[str] = field(default_factory=list)  # problems of the HTML as the server sent it
    scripts: list[str] = field(default_factory=list)
    cls: float = 0.0
    transfer: int = 0


MATH_PROBE = r"""() => {
  const root = document.querySelector('.md-content') || document.body;
  const arithmatex = [...root.querySelectorAll('.arithmatex')];
  const clone = root.cloneNode(true);
  clone.querySelectorAll('pre, code, .katex, script, style, .md-code__nav').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = text.match(/\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\s][^$\n]*\$|\\(frac|mathbf|partial|begin|sum)\b/g) || [];
  return {
    arithmatex: arithmatex.length,
    unrendered: arithmatex.filter(e => !e.querySelector('.katex')).length,
    katex: root.querySelectorAll('.katex').length,
    notebook_katex: root.querySelectorAll('.jp-RenderedMarkdown .katex').length,
    errors: root.querySelectorAll('.katex-error, .katex-failed').length,
    raw: raw.slice(0, 10),
  };
}"""

COPY_BUTTON = '[data-md-type="copy"], .md-clipboard'

# Material sets a code block up (its copy button) when the block is scrolled into view
# (content.lazy in mkdocs.yml), so each block is scrolled to, its folded sections opened as a
# reader would, and given up to 2 s.
COPY_PROBE = r"""async (button) => {
  const root = document.querySelector('.md-content');
  const blocks = [...root.querySelectorAll('.highlight pre')].filter(p => !p.closest('.jupyter-wrapper'));
  const opened = [];
  for (const p of blocks) {
    for (let d = p.closest('details'); d; d = d.parentElement.closest('details'))
      if (!d.open) { d.open = true; opened.push(d); }
    p.scrollIntoView({block: 'center'});
    for (const t0 = performance.now(); !p.querySelector(button) && performance.now() - t0 < 2000; )
      await new Promise(r => setTimeout(r, 20));
  }
  const missing = blocks.filter(p => !p.querySelector(button)).length;
  opened.forEach(d => { d.open = false; });  // later checks see the page as a reader first does
  window.scrollTo(0, 0);
  const cells = [...root.querySelectorAll('.jp-CodeCell .jp-InputArea')];
  const missingCells = cells.filter(c => !c.querySelector('clipboard-copy')).length;
  return [blocks.length + cells.length, missing + missingCells];
}"""

IMAGE_PROBE = r"""(placeholder) => [...document.querySelectorAll('.md-content img')].map(img => ({
  src: img.src.slice(0, 80),
  ok: img.complete && img.naturalWidth > 0,
  alt: (img.getAttribute('alt') || '').trim(),
})).filter(i => !i.ok || !i.alt || i.alt === placeholder).map(i => i.src + ' alt=' + JSON.stringify(i.alt))"""

LOAD_LAZY_IMAGES = r"""async () => {
  for (const img of document.querySelectorAll('.md-content img')) {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) { /* a broken image: IMAGE_PROBE reports it */ }
  }
}"""

# At load, a code block wide enough to scroll gets its keyboard stop only once it is scrolled to
# (content.lazy in mkdocs.yml), so axe's rule for that runs after every block has been.
AT_LOAD_SKIPS = ["scrollable-region-focusable"]
AXE_RUN = r"""async (skip) => {
  // Material's header fades its title in and out as the page loads and scrolls: let that end.
  for (let i = 0; i < 2; i++) {
    await new Promise(r => setTimeout(r, 300));
    await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  }
  const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
  const result = await axe.run(document, {resultTypes: ['violations'], rules});
  return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                      target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


_RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\s<][^$\n<]*\$|\\(frac|mathbf|partial|begin|sum)\b")
_NOT_PROSE = re.compile(r"<(pre|code|script|style|annotation|textarea)\b.*?</\1>", re.S)


def raw_html_problems(page_html: str) -> list[str]:
    """What is wrong with a page's HTML as sent: math left for a script, a KaTeX script, a script not deferred."""
    out = []
    start = page_html.find('<article class="md-content__inner')
    content = page_html[start : page_html.find("</article>", start)] if start >= 0 else page_html
    formulas = re.findall(r'<(?:span|div) class="arithmatex">(.{0,40})', content, re.S)
    untypeset = [f for f in formulas if not f.startswith('<span class="katex')]
    if untypeset:
        out.append(f"{len(untypeset)} of {len(formulas)} formulas not typeset in the HTML: {untypeset[:3]}")
    prose = re.sub(r"<[^>]+>", " ", _NOT_PROSE.sub(" ", content))
    raw = [m[0] for m in _RAW_TEX.finditer(prose)]
    if raw:
        out.append(f"unrendered TeX in the HTML: {raw[:10]}")
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]*katex[^"]*)"', page_html, re.I)
    if scripts:
        out.append(f"KaTeX script in the HTML: {scripts}")
    # docs/overrides/main.html: the theme's scripts wait for the end of the page, so the article can
    # be painted before they run.
    blocking = [t for t in re.findall(r"<script\b[^>]*\ssrc=[^>]*>", page_html) if " defer" not in t]
    if blocking:
        out.append(f"scripts that block the end of the page (no defer): {blocking}")
    return out


# After load: every layout shift not caused by input (the CLS sum) and the bytes on the wire.
OBSERVE_SHIFTS = """(() => {
  window.__cls = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
  })
    .observe({type: 'layout-shift', buffered: true});
})();"""
SETTLED = """async () => {
  await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return {cls: window.__cls, transfer: entries.reduce((s, e) => s + (e.transferSize || 0), 0),
          scripts: performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script')
                   .map(e => e.name)};
}"""


def visit(
    browser, url: str, scheme: str = "light", screenshot: Path | None = None, axe: bool = False, phone: bool = False
) -> Visit:
    result = Visit()
    size = PHONE if phone else DESKTOP
    context = browser.new_context(color_scheme=scheme, **size)
    context.add_init_script(OBSERVE_SHIFTS)
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc == host or r.request.url.startswith("data:"):
            r.continue_()
        else:
            result.foreign_requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: result.console_errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: result.failed_requests.append(f"{r.url} ({r.failure})"))
    page.on(
        "response", lambda r: result.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None
    )
    try:
        response = page.goto(url, wait_until="networkidle")
        result.status = response.status if response else None
        result.title = page.title()
        if response is not None and response.ok:
            result.raw_html = raw_html_problems(response.text())
        settled = page.evaluate(SETTLED)
        result.cls, result.transfer, result.scripts = settled["cls"], settled["transfer"], settled["scripts"]
        result.math = page.evaluate(MATH_PROBE)
        # A phone has no hover, and Material gives a code block that scrolls sideways a keyboard stop
        # only on a device with hover (and a phone's reader has no Tab key to reach it with).
        skips = ["scrollable-region-focusable"] if phone else []
        if axe:  # as Lighthouse sees the page: at load, far blocks not laid out yet
            page.add_script_tag(path=str(AXE))
            result.axe = page.evaluate(AXE_RUN, AT_LOAD_SKIPS + skips)
        result.code_blocks, result.uncopyable_blocks = page.evaluate(COPY_PROBE, COPY_BUTTON)
        result.images = page.evaluate("() => document.querySelectorAll('.md-content img').length")
        page.evaluate(LOAD_LAZY_IMAGES)  # after the measurements above, as a reader scrolling down would
        result.bad_images = page.evaluate(IMAGE_PROBE, PLACEHOLDER_ALT)
        if axe:  # and after every code block has been scrolled to
            result.axe += page.evaluate(AXE_RUN, skips)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return result


@pytest.fixture(scope="session")
def visits(browser, base_url):
    """Each page, visited once per colour scheme (a screenshot of each if BROWSER_SCREENSHOTS is set)."""
    cache: dict[tuple[str, str], Visit] = {}

    def get(path: str, scheme: str = "light") -> Visit:
        if (path, scheme) not in cache:
            name = path.strip("/").replace("/", "_") or "index"
            shot = SCREENSHOTS / f"{name}-{scheme}.png" if SCREENSHOTS else None
            cache[path, scheme] = visit(browser, base_url + path, scheme, screenshot=shot, axe=True)
        return cache[path, scheme]

    return get


def problems(v: Visit) -> list[str]:
    """Everything wrong with a visit, as readable lines (empty when the page is clean)."""
    out = []
    if v.status != 200:
        out.append(f"HTTP status {v.status}")
    if not v.title.strip():
        out.append("no title")
    out += [f"console error: {e}" for e in v.console_errors]
    out += [f"failed request: {r}" for r in v.failed_requests if not any(f in r for f in v.foreign_requests)]
    out += [f"request to another host: {r}" for r in v.foreign_requests]
    m = v.math
    if m.get("unrendered"):
        out.append(f"{m['unrendered']} of {m['arithmatex']} math elements not typeset")
    if m.get("errors"):
        out.append(f"{m['errors']} KaTeX errors")
    if m.get("raw"):
        out.append(f"raw TeX visible: {m['raw']}")
    out += v.raw_html
    katex_scripts = [s for s in v.scripts if "katex" in s.lower()]
    if katex_scripts:
        out.append(f"KaTeX script loaded: {katex_scripts}")
    if v.cls > CLS_LIMIT:
        out.append(f"layout shift after load: CLS {v.cls:.3f} > {CLS_LIMIT}")
    if v.transfer > TRANSFER_BUDGET:
        out.append(f"transfer over budget: {v.transfer / 1024:.0f} KiB > {TRANSFER_BUDGET / 1024:.0f} KiB")
    return out


# --- every page -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_is_clean(visits, path, scheme):
    assert problems(visits(path, scheme)) == []


@pytest.mark.parametrize("path", PAGES)
def test_math_is_typeset(visits, path):
    m = visits(path).math
    if path.startswith("notebooks/"):
        assert m["notebook_katex"] > 0, "notebook markdown math was not rendered"
    elif path not in ("", "reference/"):
        assert m["katex"] > 0 and m["katex"] >= m["arithmatex"], m


@pytest.mark.parametrize("path", PAGES)
def test_code_blocks_have_copy_buttons(visits, path):
    v = visits(path)
    assert v.uncopyable_blocks == 0, f"{v.uncopyable_blocks} of {v.code_blocks} code blocks have no copy button"


@pytest.mark.parametrize("path", PAGES)
def test_images_load_and_have_alt_text(visits, path):
    assert visits(path).bad_images == []


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(visits, path, scheme):
    serious = [v for v in visits(path, scheme).axe if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.parametrize("path", PAGES)
def test_no_layout_shift_within_budget_and_accessible_on_a_phone(browser, base_url, path):
    v = visit(browser, base_url + path, phone=True, axe=True)
    assert v.cls <= CLS_LIMIT, f"CLS {v.cls:.3f} on a phone-sized viewport"
    assert 0 < v.transfer <= TRANSFER_BUDGET, f"{v.transfer / 1024:.0f} KiB"
    assert [a for a in v.axe if a["impact"] in ("serious", "critical")] == []


@pytest.mark.parametrize("path", PAGES)
def test_no_layout_shift_when_the_math_fonts_arrive_late(browser, late_fonts_url, path):
    # Fonts that arrive after the first paint change the math's widths, and so the line breaks and
    # table columns; the font gate (docs/hooks/build_math.py) keeps the article hidden until they
    # are in and the article is complete.
    v = visit(browser, late_fonts_url + path, phone=True)
    assert v.cls <= CLS_LIMIT, f"CLS {v.cls:.3f} with the fonts {LATE_FONTS} s late"


# Installed before any page script: when the font gate hides the article (the class
# katex-fonts-pending is set on <html>) and when it shows it again (the class leaves).
WATCH_GATE = """(() => {
  window.__hiddenAt = window.__shownAt = null;
  new MutationObserver(() => {
    const pending = document.documentElement.classList.contains('katex-fonts-pending');
    if (pending && window.__hiddenAt === null) window.__hiddenAt = performance.now();
    if (!pending && window.__hiddenAt !== null && window.__shownAt === null) window.__shownAt = performance.now();
  }).observe(document, {attributes: true, attributeFilter: ['class'], subtree: true});
})()"""


# True once the font gate has shown the article.
GATE_OPEN = "() => !document.documentElement.classList.contains('katex-fonts-pending')"


def article_shown_at(browser, url: str, without_article_script: bool = False) -> tuple[float, float]:
    """When the font gate shows the article of ``url``: milliseconds from the start of the load, and
    from the moment the gate hid it.

    With ``without_article_script``, the script after </article> is cut out of the page on its way in.
    """
    context = browser.new_context(**PHONE)
    context.add_init_script(WATCH_GATE)
    if without_article_script:

        def cut(route):
            response = route.fetch()
            assert build_math.ARTICLE_PARSED in response.text()
            route.fulfill(response=response, body=response.text().replace(build_math.ARTICLE_PARSED, ""))

        context.route(url, cut)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function("() => window.__shownAt !== null", timeout=10_000)
        return page.evaluate("() => [window.__shownAt, window.__shownAt - window.__hiddenAt]")
    finally:
        context.close()


def test_the_font_gate_shows_the_article_when_its_fonts_arrive(browser, late_fonts_url):
    # Both halves of the gate: the fonts (held back LATE_FONTS s) and the script after </article>
    # that reports the article complete. Without that script the gate waits for its 3 s cap.
    since_load, since_hidden = article_shown_at(browser, late_fonts_url + "notation/")
    assert since_load >= LATE_FONTS * 1000 and since_hidden < 2900, (since_load, since_hidden)
    _, since_hidden = article_shown_at(browser, late_fonts_url + "notation/", without_article_script=True)
    assert since_hidden >= 2990, since_hidden


GLYPH_BOXES = r"""async () => {
  await document.fonts.ready;
  document.documentElement.classList.remove('far-blocks');  // every block laid out, as with the other fonts
  const boxes = [];
  for (const span of document.querySelectorAll('.md-content .katex-html span')) {
    if (span.childElementCount || !span.textContent.trim()) continue;
    const r = span.getBoundingClientRect();
    boxes.push([span.textContent, ...[r.left, r.top, r.width, r.height].map(v => Math.round(v * 8) / 8)]);
  }
  const fonts = [...document.fonts].filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded');
  return {boxes, fonts: fonts.map(f => `${f.family} ${f.weight} ${f.style}`).sort()};
}"""


def glyph_boxes(browser, url: str, full_fonts: bool) -> dict:
    """Where every piece of text in the page's typeset math is drawn, and which KaTeX fonts loaded.

    With ``full_fonts`` the font files come from the vendored KaTeX (docs/assets/katex/fonts), not
    from the built site's cut copies.
    """
    context = browser.new_context(**DESKTOP)
    if full_fonts:
        vendored = ROOT / "docs" / "assets" / "katex" / "fonts"
        context.route("**/*.woff2", lambda r: r.fulfill(path=str(vendored / Path(urlparse(r.request.url).path).name)))
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_function(GATE_OPEN)
        return page.evaluate(GLYPH_BOXES)
    finally:
        context.close()


def test_the_cut_math_fonts_draw_every_formula_as_the_full_fonts_do(browser, base_url):
    # The build cuts each KaTeX font to the characters the site's math shows. A character cut by
    # mistake would be drawn from a fallback font, with another width: every later box would move.
    compared = 0
    for path in PAGES:
        cut = glyph_boxes(browser, base_url + path, full_fonts=False)
        if not cut["boxes"]:
            continue
        full = glyph_boxes(browser, base_url + path, full_fonts=True)
        assert cut["fonts"] == full["fonts"], path
        moved = [(a, b) for a, b in zip(cut["boxes"], full["boxes"], strict=True) if a != b]
        assert not moved, f"{path}: {len(moved)} of {len(cut['boxes'])} boxes differ, first {moved[:3]}"
        compared += 1
    assert compared >= 15, compared


# --- far blocks: laid out when they come near the screen (docs/hooks/build_math.py) -----------

LONG_PAGES = ["output-layer/", "hidden-layer/", "slips/", "questions/"]

# Every layout shift, with or without hadRecentInput (nothing here gives input, and Chromium marks
# a phone's first shifts as if it had), and which far blocks the browser skips, from its own
# events (checkVisibility sees through an element's own content-visibility).
OBSERVE_FAR_BLOCKS = """(() => {
  window.__shifts = [];
  new PerformanceObserver(list => { for (const e of list.getEntries()) window.__shifts.push(e.value); })
    .observe({type: 'layout-shift', buffered: true});
  window.__skipped = new Set();
  document.addEventListener('contentvisibilityautostatechange',
    e => e.skipped ? window.__skipped.add(e.target) : window.__skipped.delete(e.target), true);
})();"""

# After the gate shows the article: the far blocks on the screen that stand in unlaid, and how
# many the browser skips in all.
FAR_BLOCKS_PROBE = r"""async (selector) => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const blocks = [...document.querySelectorAll(selector)];
  const onScreen = b => { const r = b.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; };
  // The gate lays a block out by setting content-visibility:visible, after which no event comes.
  const skipped = b => window.__skipped.has(b) && getComputedStyle(b).contentVisibility === 'auto';
  const standIns = blocks.filter(b => skipped(b) && onScreen(b)).map(b => b.outerHTML.slice(0, 80));
  return {blocks: blocks.length, skipped: blocks.filter(skipped).length, standIns,
          shifts: window.__shifts};
}"""


# Each far block, heading and figure: where it sits and its size.
BOXES = """(s) => [...document.querySelectorAll(s + ', .md-content :is(h1, h2, h3, figure)')].map(b => {
  const r = b.getBoundingClientRect(); return [r.left, r.top + scrollY, r.width, r.height]; })"""
# Lays every far block out with the containment content-visibility:auto gives a block it lays out
# (CSS Containment 2), or with ``contain`` instead; a screenshot would not lay skipped ones out.
LAY_OUT_ALL = """([s, contain]) => document.querySelectorAll(s).forEach(b => {
  b.style.contentVisibility = 'visible'; b.style.contain = contain; })"""


def far_blocks(browser, url: str, size: dict, compare: bool = False) -> dict:
    """The FAR_BLOCKS_PROBE of a page. With ``compare``, every far block is then laid out, and:
    ``moved``, the boxes that differ from the page without far blocks; ``cut``, the largest
    difference of a pixel (0-255) between the page drawn with and without paint containment."""
    context = browser.new_context(**size)
    context.add_init_script(OBSERVE_FAR_BLOCKS)
    page = context.new_page()
    selector = build_math.FAR_BLOCKS
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_function(GATE_OPEN)
        found = page.evaluate(FAR_BLOCKS_PROBE, selector)
        if compare:
            page.evaluate(LOAD_LAZY_IMAGES)
            page.mouse.move(0, 0)

            def shot():
                png = page.screenshot(full_page=True, animations="disabled", caret="hide")
                return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)

            page.evaluate(LAY_OUT_ALL, [selector, "layout paint style"])
            far, painted = page.evaluate(BOXES, selector), shot()
            page.evaluate(LAY_OUT_ALL, [selector, "layout style"])
            unpainted = shot()
            found["cut"] = int(np.abs(painted - unpainted).max()) if painted.shape == unpainted.shape else 255
            page.evaluate(LAY_OUT_ALL, [selector, ""])
            page.evaluate("document.documentElement.classList.remove('far-blocks')")
            plain = page.evaluate(BOXES, selector)
            found["moved"] = [
                (k, a, b)
                for k, (a, b) in enumerate(zip(far, plain, strict=True))
                if max(abs(x - y) for x, y in zip(a, b)) > 0.5
            ]
        return found
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_far_blocks_are_laid_out_before_they_are_seen(browser, base_url, path):
    # A block the browser has not laid out stands in at 3em; on the screen it would grow a frame
    # later and push the text below it.
    for size in (PHONE, DESKTOP):
        found = far_blocks(browser, base_url + path, size)
        assert found["standIns"] == [], found["standIns"][:3]
        assert sum(found["shifts"]) == 0, found["shifts"]
        if path in LONG_PAGES:  # the point of it: most of a long page is not laid out at load
            assert found["skipped"] > found["blocks"] / 2, (found["skipped"], found["blocks"])


@pytest.mark.parametrize("path", PAGES)
def test_far_blocks_keep_their_place_and_nothing_of_them_is_cut(browser, base_url, path):
    # content-visibility:auto brings containment. Layout containment must leave every block, heading
    # and figure where it was, to the half pixel (text inside a paragraph may round to another
    # pixel); paint containment must cut nothing a block draws (a pixel may differ by antialiasing,
    # never by more than 40 of 255).
    for size in (PHONE, DESKTOP):
        found = far_blocks(browser, base_url + path, size, compare=True)
        assert found["moved"] == [], found["moved"][:3]
        assert found["cut"] <= 40, found["cut"]


# Where a heading sits after a jump to it, then again half a second later (it must not drift),
# and where Material's own scroll offset (scroll-margin-top) says it should.
LANDED = """async (id) => {
  const h = document.getElementById(id);
  const top = () => Math.round(h.getBoundingClientRect().top);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const first = top();
  await new Promise(r => setTimeout(r, 500));
  return [first, top(), Math.round(parseFloat(getComputedStyle(h).scrollMarginTop))];
}"""


@pytest.mark.parametrize("path", ["output-layer/", "slips/"])
def test_links_into_a_long_page_land_on_their_heading(browser, base_url, path):
    # Blocks above a heading that stood in at 3em would put it elsewhere than where the link sends
    # the reader. Both ways in: an address with #heading, and a click in the table of contents.
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        page.goto(base_url + path, wait_until="networkidle")
        ids = page.evaluate("[...document.querySelectorAll('.md-content h2')].map(h => h.id)")
        for heading in ids[-4:-1]:  # far down, yet not so near the end that the page cannot scroll to it
            page.locator(f'.md-sidebar--secondary a.md-nav__link[href="#{heading}"]').first.click()
            landed = page.evaluate(LANDED, heading)
            assert landed[0] == landed[1] == landed[2], (heading, landed)
        deep = context.new_page()
        deep.goto(f"{base_url}{path}#{ids[-3]}", wait_until="networkidle")
        landed = deep.evaluate(LANDED, ids[-3])
        assert landed[0] == landed[1] == landed[2], landed
    finally:
        context.close()


WIDE_FORMULAS = """() => [...document.querySelectorAll('div.arithmatex')]
  .map((f, k) => [k, f.scrollWidth > f.clientWidth, f.tabIndex === 0])"""


def test_a_wide_formula_can_be_reached_by_keyboard_before_it_is_seen(browser, base_url):
    # math-scroll.js makes a display formula wider than the screen focusable, so a keyboard user can
    # scroll it. One the browser has not laid out yet is measured when it is scrolled near, or at
    # the first Tab key, whichever comes first.
    context = browser.new_context(**PHONE)
    page = context.new_page()
    url = base_url + "output-layer/"
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_function(GATE_OPEN)
        at_load = page.evaluate(WIDE_FORMULAS)  # measuring lays them out: only focusability counts
        page.keyboard.press("Tab")
        after_tab = page.evaluate(WIDE_FORMULAS)
        wide = [k for k, is_wide, _ in after_tab if is_wide]
        page.goto(url, wait_until="networkidle")
        page.wait_for_function(GATE_OPEN)
        page.locator("div.arithmatex").nth(wide[-1]).scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        scrolled_to = page.evaluate(f"document.querySelectorAll('div.arithmatex')[{wide[-1]}].tabIndex")
    finally:
        context.close()
    assert len(wide) >= 3, "a phone should have formulas wider than the screen on this page"
    assert [k for k, _, focusable in after_tab if focusable] == wide
    assert not at_load[wide[-1]][2] and scrolled_to == 0


def test_every_image_has_its_size_in_the_html(site):
    folder, _ = site
    missing = []
    for path in PAGES:
        page_html = (folder / path / "index.html").read_text(encoding="utf-8")
        for tag in re.findall(r"<img\b[^>]*>", page_html[page_html.find("<article") :]):
            if not re.search(r'\swidth="\d+"', tag) or not re.search(r'\sheight="\d+"', tag):
                missing.append(f"{path}: {tag[:100]}")
    assert missing == []


def test_notebook_downloads_are_linked_and_match_the_source(browser, base_url):
    import jupytext

    notebooks = [p for p in PAGES if p.startswith("notebooks/")]
    assert notebooks
    for path in notebooks:
        stem = path.rstrip("/").rsplit("/", 1)[-1]
        source = (ROOT / "docs" / f"{path.rstrip('/')}.py").read_text(encoding="utf-8")
        page = browser.new_page()
        try:
            page.goto(base_url + path)
            links = page.eval_on_selector_all(".notebook-downloads a", "as => as.map(a => a.href)")
        finally:
            page.close()
        assert sorted(link.rsplit("/", 1)[-1] for link in links) == [f"{stem}.ipynb", f"{stem}.py"]
        for link in links:
            with urllib.request.urlopen(link) as response:
                body = response.read().decode("utf-8")
            if link.endswith(".py"):
                assert body == source
            else:
                cells = json.loads(body)["cells"]
                expected = jupytext.reads(source, fmt="py:percent").cells
                assert [(c["cell_type"], "".join(c["source"])) for c in cells] == [
                    (c.cell_type, c.source) for c in expected
                ]


def test_a_code_block_gets_its_copy_button_when_it_is_scrolled_to(browser, base_url):
    # The other half of content.lazy: a block far down the page is not set up at load, which is the
    # point (test_code_blocks_have_copy_buttons checks that every block gets its button).
    page = browser.new_page(viewport={"width": 412, "height": 823})
    try:
        page.goto(base_url + "output-layer/", wait_until="networkidle")
        last = page.locator(".md-content .highlight:not(details .highlight) pre").last
        before = last.locator(COPY_BUTTON).count()
        last.scroll_into_view_if_needed()
        last.locator(COPY_BUTTON).first.wait_for(state="attached", timeout=5000)
    finally:
        page.close()
    assert before == 0


def test_pages_with_figures_show_them(visits):
    assert visits("forward-pass/").images >= 1
    assert visits("output-layer/").images >= 3
    assert visits("notebooks/iris/").images == 3


# --- site-wide --------------------------------------------------------------------------------


def test_search_finds_the_total_derivative_chapter_first(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(base_url, wait_until="networkidle")
        page.locator(".md-search__input").click()
        page.keyboard.type("total derivative", delay=20)  # Material listens for key events
        first = page.locator(".md-search-result__item a").first
        first.wait_for(timeout=10_000)
        assert "total-derivative/" in first.get_attribute("href")
    finally:
        page.close()


def test_a_link_in_the_navigation_loads_the_page_with_its_math_and_its_stylesheets_untouched(browser, base_url):
    # Without Material's instant navigation a click is an ordinary page load, and nothing rewrites the
    # page's relative links: instant navigation set each href and src again at load, and setting a
    # stylesheet's href reloads it and restyles the whole page (see mkdocs.yml).
    page = browser.new_page()
    try:
        page.goto(base_url, wait_until="networkidle")
        page.evaluate("() => { window.__sameDocument = true; }")
        page.locator(".md-nav__link", has_text="Gradients of the hidden layer").first.click()
        page.wait_for_url("**/hidden-layer/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__sameDocument === undefined"), "the click did not load the page"
        m = page.evaluate(MATH_PROBE)
        hrefs = page.eval_on_selector_all('link[rel="stylesheet"]', "ls => ls.map(l => l.getAttribute('href'))")
    finally:
        page.close()
    assert m["katex"] > 10 and m["unrendered"] == 0 and m["raw"] == []
    assert hrefs and all(h.startswith("../") for h in hrefs), hrefs


LEGIBILITY = r"""() => {
  const lum = c => { const [r, g, b] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bg = getComputedStyle(document.querySelector('.md-main')).backgroundColor;
  const body = getComputedStyle(document.body).backgroundColor;
  const page = bg === 'rgba(0, 0, 0, 0)' ? body : bg;
  const math = getComputedStyle(document.querySelector('.md-content .katex')).color;
  const img = document.querySelector('.md-content figure img');
  return {scheme: document.body.getAttribute('data-md-color-scheme'), math_contrast: contrast(math, page),
          figure_background: img ? getComputedStyle(img).backgroundColor : null};
}"""


SCHEME = "() => document.body.getAttribute('data-md-color-scheme')"

# Installed before any page script: records every change to <body>'s colour attributes
# (data-md-color-*, data-md-color-switching included) and to <meta name="color-scheme"> made once
# the article is in the page. Each restyles all of it; Material's palette component makes several
# on every load. Before the article is parsed (the site's toggle, in the header) they cost little.
WATCH_PALETTE = """(() => {
  window.__restyles = [];
  new MutationObserver(records => {
    if (!document.querySelector('article')) return;
    for (const r of records) {
      if (r.type === 'attributes' && r.target === document.body && r.attributeName.startsWith('data-md-color'))
        window.__restyles.push(r.attributeName);
      if (r.type === 'attributes' && r.target.nodeName === 'META' && r.target.name === 'color-scheme')
        window.__restyles.push('meta color-scheme changed');
      for (const n of r.addedNodes)
        if (n.nodeName === 'META' && n.name === 'color-scheme') window.__restyles.push('meta added');
    }
  }).observe(document, {attributes: true, childList: true, subtree: true});
})()"""


# What moved in the header since the start of the load (a buffered observer sees the page's earlier
# shifts at once; with none, it never calls back, hence the half-second timeout).
HEADER_SHIFTS = """() => new Promise(resolve => {
  setTimeout(() => resolve([]), 500);
  new PerformanceObserver(list => resolve(list.getEntries()
    .flatMap(e => (e.sources || []).map(s => s.node)).filter(n => n && n.closest && n.closest('header'))
    .map(n => n.nodeName + '.' + n.className))).observe({type: 'layout-shift', buffered: true});
})"""


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_nothing_in_the_header_moves_while_the_page_loads(browser, base_url, phone):
    # Shifts too small for the CLS limit still show: the colour toggle, shown before Material's
    # script showed the search button beside it, moved aside by a button's width.
    context = browser.new_context(**(PHONE if phone else DESKTOP))
    page = context.new_page()
    try:
        page.goto(base_url + "notation/", wait_until="networkidle")
        moved = page.evaluate(HEADER_SHIFTS)
    finally:
        context.close()
    assert moved == [], moved


def test_colour_toggle_switches_scheme_and_keeps_math_and_figures_legible(browser, base_url):
    page = browser.new_page(color_scheme="light")
    try:
        page.goto(base_url + "output-layer/", wait_until="networkidle")
        light = page.evaluate(LEGIBILITY)
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        page.wait_for_function(f"() => ({SCHEME})() === 'slate'")
        dark = page.evaluate(LEGIBILITY)
    finally:
        page.close()
    assert light["scheme"] == "default" and dark["scheme"] == "slate"
    for state in (light, dark):
        assert state["math_contrast"] >= 4.5, state
        assert state["figure_background"] == "rgb(255, 255, 255)", state  # figures sit on white


def test_colour_scheme_follows_the_system_until_the_reader_chooses_and_then_stays_chosen(browser, base_url):
    context = browser.new_context(color_scheme="dark")
    context.add_init_script(WATCH_PALETTE)
    page = context.new_page()
    try:
        seen = []
        for system in ("dark", "light"):  # nothing chosen yet: each load follows the system
            page.emulate_media(color_scheme=system)
            page.goto(base_url + "notation/", wait_until="networkidle")
            seen.append(page.evaluate(SCHEME))
        page.emulate_media(color_scheme="dark")
        page.reload(wait_until="networkidle")
        toggle = page.locator("label.md-header__button[for^='__palette']:visible")
        assert toggle.count() == 1
        toggle.click()
        seen.append(page.evaluate(SCHEME))  # chosen: light on a dark system
        page.goto(base_url + "output-layer/", wait_until="networkidle")
        seen.append(page.evaluate(SCHEME))  # and kept on the next page
        restyles = page.evaluate("() => window.__restyles")
        assert restyles == [], f"the colour scheme was changed after the article was parsed: {restyles}"
        page.focus("input[name='__palette']:checked")
        page.keyboard.press("Enter")  # the keyboard steps to the next scheme, as with Material's toggle
        seen.append(page.evaluate(SCHEME))
        meta = page.evaluate("() => document.querySelector('meta[name=color-scheme]').content")
    finally:
        context.close()
    assert seen == ["slate", "default", "default", "default", "slate"]
    assert meta == "dark"  # the browser's own scrollbars and controls follow the scheme


WATCH_TABLES = """(() => {
  window.__tablesMoved = 0;
  new MutationObserver(records => {
    for (const r of records)
      for (const n of r.removedNodes) if (n.nodeName === 'TABLE') window.__tablesMoved++;
  }).observe(document, {childList: true, subtree: true});
})()"""

# Each framed table beside a copy without its class (which the theme's own rules for classless
# tables then style): every computed style of every element of the two, compared.
COMPARE_TABLES = r"""() => {
  const differences = [];
  for (const frame of document.querySelectorAll('.md-content .md-typeset__scrollwrap')) {
    const copy = frame.cloneNode(true);
    copy.querySelector('table').removeAttribute('class');
    frame.after(copy);
    const ours = [frame, ...frame.querySelectorAll('*')], theirs = [copy, ...copy.querySelectorAll('*')];
    ours.forEach((el, i) => {
      const a = getComputedStyle(el), b = getComputedStyle(theirs[i]);
      for (const name of a) {
        const [mine, theme] = [a.getPropertyValue(name), b.getPropertyValue(name)];
        if (mine !== theme) differences.push(`${el.nodeName}.${el.className} ${name}: ${mine} / ${theme}`);
      }
    });
    copy.remove();
  }
  return differences;
}"""


@pytest.mark.parametrize("path", ["notation/", "reference/"])
def test_tables_come_framed_look_as_the_themes_and_are_never_moved(browser, base_url, path):
    # The build puts each table in Material's scroll frame; Material's script would otherwise take
    # it out and put it back once the page is styled, which makes the browser style the article again.
    context = browser.new_context(**DESKTOP)
    context.add_init_script(WATCH_TABLES)
    page = context.new_page()
    try:
        page.goto(base_url + path, wait_until="networkidle")
        frames = page.evaluate(
            """() => [...document.querySelectorAll('.md-content table')].map(t =>
                 t.parentElement.className + ' < ' + t.parentElement.parentElement.className)"""
        )
        nested = page.evaluate(
            "() => document.querySelectorAll('.md-typeset__scrollwrap .md-typeset__scrollwrap').length"
        )
        moved = page.evaluate("() => window.__tablesMoved")
        differences = page.evaluate(COMPARE_TABLES)
    finally:
        context.close()
    assert frames and set(frames) == {"md-typeset__table < md-typeset__scrollwrap"}, frames
    assert nested == 0 and moved == 0, (nested, moved)
    assert differences == [], differences[:10]


# --- the checks can fail: planted faults ------------------------------------------------------

PLANTS = {
    # The control: an unplanted copy has no problems, so each fault below is what its case finds.
    "none": ("</head>", "</head>"),
    # A script from another host, as a CDN snippet would add.
    "external": ("</head>", '<script src="https://cdn.jsdelivr.net/npm/katex/dist/katex.min.js"></script></head>'),
    # TeX outside any arithmatex element, left for a script to typeset.
    "raw-tex": ("<h1", r"<p>Left raw: \(\partial C / \partial W\)</p><h1"),
    # A script that logs an error.
    "console-error": ("</head>", "<script>console.error('planted error')</script></head>"),
    # A formula that reaches the reader as TeX in an arithmatex element, as before this build.
    "untypeset": ("<h1", r'<p><span class="arithmatex">\(a_j\)</span></p><h1'),
    # Client-side KaTeX loaded from the site itself.
    "katex-script": ("</head>", '<script src="../assets/katex/katex.min.js"></script></head>'),
    # Content pushed down after load, a few frames after the font gate shows the article, as a late
    # formula or an image without a size does. (Pushed down in the frame the article first appears
    # in, little of it was painted before, so the shift would score under the limit.)
    "layout-shift": (
        "</body>",
        "<script>addEventListener('load', function wait() { requestAnimationFrame(document.documentElement"
        ".classList.contains('katex-fonts-pending') ? wait : () => requestAnimationFrame(() =>"
        " requestAnimationFrame(() => document.querySelector('.md-content__inner')"
        ".prepend(Object.assign(document.createElement('div'), {style: 'height: 400px'}))))) })</script></body>",
    ),
    # The font gate switched off: the article is painted before its math fonts arrive.
    "no-font-gate": ('h.classList.add("katex-fonts-pending","far-blocks");', 'h.classList.add("far-blocks");'),
    # 450 KB of text that gzip cannot shrink below the budget.
    "heavy": ("</body>", "<!-- " + base64.b64encode(os.urandom(340_000)).decode() + " --></body>"),
}


def _plant_faults(site: Path) -> None:
    original = (site / "notation" / "index.html").read_text(encoding="utf-8")
    for name, (old, new) in PLANTS.items():
        assert old in original
        # planted-x/ beside notation/: the same depth, so every relative asset URL still resolves.
        target = site / f"planted-{name}" / "index.html"
        target.parent.mkdir()
        target.write_text(original.replace(old, new, 1), encoding="utf-8")


def test_the_unplanted_copy_has_no_problems(browser, base_url):
    assert problems(visit(browser, f"{base_url}planted-none/")) == []


def test_late_fonts_move_the_page_without_the_font_gate(browser, late_fonts_url):
    assert visit(browser, f"{late_fonts_url}planted-none/", phone=True).cls <= CLS_LIMIT
    assert visit(browser, f"{late_fonts_url}planted-no-font-gate/", phone=True).cls > CLS_LIMIT


@pytest.mark.parametrize(
    "name, expected",
    [
        ("external", "request to another host: https://cdn.jsdelivr.net/"),
        ("raw-tex", "unrendered TeX in the HTML"),
        ("console-error", "console error: planted error"),
        ("untypeset", "1 of "),
        ("katex-script", "KaTeX script in the HTML"),
        ("layout-shift", "layout shift after load"),
        ("heavy", "transfer over budget"),
    ],
)
def test_each_check_fails_when_its_fault_is_planted(browser, base_url, name, expected):
    found = problems(visit(browser, f"{base_url}planted-{name}/"))
    assert any(p.startswith(expected) for p in found), found
