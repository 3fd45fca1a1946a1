"""The built site in a real browser: Chromium driven by Playwright, served with gzip from 127.0.0.1.

The site is built once per test session, into a temporary folder, and every page in the navigation
is loaded once (light scheme, 1366 px wide) and then resized to 1920 and 390 px (a phone). On each:
HTTP 200 and a title, no console error, no failed request, no request to another host, the raw HTML
holding every formula already typeset (no KaTeX script, no unrendered TeX), no layout shift over
0.02 while it loads, at most 400 KiB gzipped with all it loads, a copy button on every code block,
every image loaded and described, no serious or critical axe-core violation; and at every width:
no equation number over its formula, no formula, table or notebook output cut without a scroll cue
and a keyboard stop, no code name broken mid-word, nothing sticking out of the page sideways.
Four pages are checked in the dark scheme too. Site-wide: search finds the math, console blocks
copy without prompts, the API reference shows the code's defaults, the colour-scheme toggle, the
notebook downloads. Planted faults, in copies of a page beside an unplanted control copy and in the
search index on its way to the browser, show that the checks can fail; a planted test calls the
same check function as the real one.

The build gets ``SITE_URL`` (read by ``site_url: !ENV`` in mkdocs.yml) set to the local server, so
the checkout is left as it was. The browser is ``$CHROMIUM`` if set, else Debian's ``chromium``,
else Playwright's own download. Screenshots of every page (phone and desktop, light and dark) come
from ``python tests/test_browser.py screenshots FOLDER``, not from the tests.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import ROOT, load_module

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (part of the test extra)")
async_api = pytest.importorskip("playwright.async_api")


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
# Bytes on the wire (gzip) for a page and everything it loads. A figure on the first screen, drawn
# for 2x screens, is up to 100 KiB of it (the computational graph on the page about the sum over
# paths), and the search index, fetched once and cached for every page, 182 KiB (it grows with the
# text of all pages): that page weighs 441 KiB in all (December 2026).
TRANSFER_BUDGET = 450 * 1024
CLS_LIMIT = 0.02
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
lean = load_module("lean_pages", ROOT / "docs" / "hooks" / "lean_pages.py")
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
    moved: list[str] = field(default_factory=list)
    transfer: int = 0
    fit: dict = field(default_factory=dict)  # FIT_PROBE's findings at each width in WIDTHS


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
# reader would, and given up to 5 s.
COPY_PROBE = r"""async (button) => {
  const root = document.querySelector('.md-content');
  const blocks = [...root.querySelectorAll('.highlight pre')].filter(p => !p.closest('.jupyter-wrapper'));
  const opened = [];
  for (const p of blocks) {
    for (let d = p.closest('details'); d; d = d.parentElement.closest('details'))
      if (!d.open) { d.open = true; opened.push(d); }
    p.scrollIntoView({block: 'center'});
    for (const t0 = performance.now(); !p.querySelector(button) && performance.now() - t0 < 5000; )
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

AXE_RUN = r"""async (skip) => {
  // Material's header fades its title in and out as the page loads and scrolls: let that end.
  await new Promise(r => setTimeout(r, 300));
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
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
    # be painted before they run. The colour toggle's script must run before the article is parsed.
    blocking = [
        t for t in re.findall(r"<script\b[^>]*\ssrc=[^>]*>", page_html) if " defer" not in t and "palette.js" not in t
    ]
    if blocking:
        out.append(f"scripts that block the end of the page (no defer): {blocking}")
    return out


# After load: every layout shift not caused by input (the CLS sum) and the bytes on the wire.
OBSERVE_SHIFTS = r"""(() => {
  window.__cls = 0;
  window.__moved = [];  // what moved, so that a failure says which element and by how much
  const name = n => !n ? '?' : n.nodeType === 1
    ? n.localName + (n.id ? '#' + n.id : '') + (n.className && n.className.baseVal === undefined
      ? '.' + String(n.className).trim().split(/\s+/).join('.') : '')
    : '#text "' + (n.textContent || '').trim().slice(0, 30) + '"';
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      window.__cls += e.value;
      for (const s of e.sources || [])
        window.__moved.push(`${name(s.node)} at ${Math.round(e.startTime)} ms: top ` +
                            `${Math.round(s.previousRect.y)} -> ${Math.round(s.currentRect.y)} px`);
    }
  })
    .observe({type: 'layout-shift', buffered: true});
})();"""
SETTLED = """async () => {
  await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  // One frame more, then a task: a shift laid out in the frame above is reported to the observer
  // only after that frame, so reading __cls in the second frame's callback could miss it.
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return {cls: window.__cls, moved: window.__moved.slice(0, 5),
          transfer: entries.reduce((s, e) => s + (e.transferSize || 0), 0),
          scripts: performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script')
                   .map(e => e.name)};
}"""


# Widths a page is checked at: a phone (390 px, as an iPhone 12 to 15 in portrait), a laptop and a
# large screen. The page is loaded once, at the first, and resized to the others.
WIDTHS = (1366, 1920, 390)

# What does not fit, at the window's current width, as readable lines:
# - an equation number (KaTeX's .katex-tag) whose box overlaps its formula's;
# - a display formula, a table or a notebook cell wider than its column (so part of it is hidden
#   until scrolled) without the scroll cue of extra.css (a shadow over the side that has more) and
#   without a keyboard stop (math-scroll.js); a notebook output that wraps its lines;
# - a code name outside a code block broken across lines mid-word (a break is allowed after a space
#   or one of the characters in BREAK_AFTER);
# - anything of the article sticking out of the page sideways.
FIT_PROBE = r"""(breakAfter) => {
  const out = [];
  const root = document.querySelector('.md-content');
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
                         && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  for (const tag of root.querySelectorAll('.katex-display .katex-tag')) {
    const t = tag.getBoundingClientRect();
    const hit = [...tag.parentElement.children].filter(b => b !== tag)
      .find(b => overlap(t, b.getBoundingClientRect()));
    if (hit) out.push(`equation number ${tag.textContent} overlaps its formula`);
  }
  const cued = el => {
    const s = getComputedStyle(el);
    return s.backgroundImage.includes('radial-gradient') && s.backgroundAttachment.includes('local');
  };
  const scrollers = root.querySelectorAll('div.arithmatex, .md-typeset__scrollwrap, '
    + '.jp-RenderedMarkdown .katex-display, .jp-OutputArea-output pre, .highlight-ipynb');
  for (const el of scrollers) {
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const what = el.matches('div.arithmatex, .katex-display') ? 'formula'
      : el.matches('pre, .highlight-ipynb') ? 'notebook cell' : 'table';
    const text = el.textContent.trim().slice(0, 40);
    if (!cued(el)) out.push(`${what} cut without a scroll cue: ${text}`);
    if (el.tabIndex !== 0) out.push(`${what} cut and not reachable by keyboard: ${text}`);
  }
  for (const pre of root.querySelectorAll('.jp-OutputArea-output pre')) {
    if (getComputedStyle(pre).whiteSpace !== 'pre')  // wrapped, it breaks numbers and words anywhere
      out.push(`notebook output wraps its lines: ${pre.textContent.trim().slice(0, 40)}`);
  }
  for (const t of root.querySelectorAll('table')) {
    if (!t.closest('.md-typeset__scrollwrap') && t.scrollWidth > t.clientWidth + 1)
      out.push(`table cut outside a scroll frame: ${t.textContent.trim().slice(0, 40)}`);
  }
  const range = document.createRange();
  for (const code of root.querySelectorAll(':not(pre) > code')) {
    if (code.getClientRects().length < 2) continue;
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    let top = null, before = null, node;
    while ((node = walker.nextNode())) {
      for (let i = 0; i < node.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getClientRects()[0];
        if (!box) continue;
        const char = node.data[i];
        if (top !== null && box.top > top + 2 && char !== ' ' && !breakAfter.includes(before))
          out.push(`code broken mid-word: ${code.textContent.slice(0, 40)} (before ${JSON.stringify(char)})`);
        top = box.top;
        before = char;
      }
    }
  }
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + 1) {
    const sticking = [...root.querySelectorAll('*')].find(e => e.getBoundingClientRect().right > page.clientWidth + 1
      && !e.closest('div.arithmatex, .md-typeset__scrollwrap, pre, .jp-OutputArea-output'));
    const what = sticking ? sticking.outerHTML.slice(0, 60) : '';
    out.push(`the page scrolls sideways (${page.scrollWidth} px wide): ${what}`);
  }
  return out;
}"""
BREAK_AFTER = " ._/(),-[=*+"


async def visit(browser, url: str, scheme: str = "light", axe: bool = False, fit: bool = True) -> Visit:
    """Load ``url`` once at the first of WIDTHS and check it; then resize to each width for FIT_PROBE."""
    result = Visit()
    context = await browser.new_context(color_scheme=scheme, viewport={"width": WIDTHS[0], "height": 900})
    await context.add_init_script(OBSERVE_SHIFTS)
    host = urlparse(url).netloc

    async def route(r):
        if urlparse(r.request.url).netloc == host or r.request.url.startswith("data:"):
            await r.continue_()
        else:
            result.foreign_requests.append(r.request.url)
            await r.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: result.console_errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: result.failed_requests.append(f"{r.url} ({r.failure})"))
    page.on(
        "response", lambda r: result.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None
    )
    try:
        response = await page.goto(url, wait_until="networkidle")
        result.status = response.status if response else None
        result.title = await page.title()
        if response is not None and response.ok:
            result.raw_html = raw_html_problems(await response.text())
        settled = await page.evaluate(SETTLED)
        result.cls, result.moved = settled["cls"], settled["moved"]
        result.transfer, result.scripts = settled["transfer"], settled["scripts"]
        result.math = await page.evaluate(MATH_PROBE)
        result.code_blocks, result.uncopyable_blocks = await page.evaluate(COPY_PROBE, COPY_BUTTON)
        result.images = await page.evaluate("() => document.querySelectorAll('.md-content img').length")
        await page.evaluate(LOAD_LAZY_IMAGES)  # after the measurements above, as a reader scrolling down would
        result.bad_images = await page.evaluate(IMAGE_PROBE, PLACEHOLDER_ALT)
        if axe:  # once every code block has been scrolled to, and so set up (content.lazy)
            await page.add_script_tag(path=str(AXE))
            result.axe = await page.evaluate(AXE_RUN, [])
        if fit:
            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": 900})
                await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                result.fit[width] = await page.evaluate(FIT_PROBE, BREAK_AFTER)
    finally:
        await context.close()
    return result


# Pages visited at once. Each page's work runs on its own renderer's main thread, so on two cores two
# or three at a time take about half the time of one after the other.
VISITORS = 3


def visit_all(jobs: dict[str, dict]) -> dict[str, Visit]:
    """``visit`` each URL (a key of ``jobs``, its value the options), VISITORS at a time.

    They run in a browser of their own, driven by Playwright's asynchronous API in a thread with its
    own event loop, apart from the ``browser`` fixture's synchronous one.
    """

    async def main() -> dict[str, Visit]:
        async with async_api.async_playwright() as p:
            b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            gate = asyncio.Semaphore(VISITORS)

            async def one(url: str, options: dict) -> tuple[str, Visit]:
                async with gate:
                    return url, await visit(b, url, **options)

            try:
                return dict(await asyncio.gather(*(one(url, options) for url, options in jobs.items())))
            finally:
                await b.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=1200)


@pytest.fixture(scope="session")
def visited(base_url) -> dict[str, Visit]:
    """Every page (light scheme, with axe-core) and every planted copy, visited once per session."""
    jobs = {base_url + path: {"axe": True} for path in PAGES}
    jobs |= {f"{base_url}planted-{name}/": {"fit": name in FIT_PLANTS} for name in PLANTS}
    return visit_all(jobs)


@pytest.fixture(scope="session")
def visits(visited, base_url):
    return lambda path: visited[base_url + path]


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
        out.append(f"layout shift after load: CLS {v.cls:.3f} > {CLS_LIMIT}; moved: {v.moved}")
    if v.transfer > TRANSFER_BUDGET:
        out.append(f"transfer over budget: {v.transfer / 1024:.0f} KiB > {TRANSFER_BUDGET / 1024:.0f} KiB")
    out += [f"at {width} px: {line}" for width, lines in v.fit.items() for line in lines]
    return out


# --- every page -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_is_clean_and_fits_a_phone_a_laptop_and_a_large_screen(visits, path):
    assert problems(visits(path)) == []


@pytest.mark.parametrize("path", PAGES)
def test_math_is_typeset(visits, path):
    m = visits(path).math
    if path.startswith("notebooks/"):
        assert m["notebook_katex"] > 0, "notebook markdown math was not rendered"
    elif path not in ("", "reference/", "site/"):
        assert m["katex"] > 0 and m["katex"] >= m["arithmatex"], m


@pytest.mark.parametrize("path", PAGES)
def test_code_blocks_have_copy_buttons(visits, path):
    v = visits(path)
    assert v.uncopyable_blocks == 0, f"{v.uncopyable_blocks} of {v.code_blocks} code blocks have no copy button"


@pytest.mark.parametrize("path", PAGES)
def test_images_load_and_have_alt_text(visits, path):
    assert visits(path).bad_images == []


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(visits, path):
    serious = [v for v in visits(path).axe if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.parametrize("path", ["notation/", "output-layer/", "notebooks/iris/", "performance/"])
def test_dark_scheme_is_accessible_and_shows_the_dark_figures(browser, base_url, path):
    # Four pages stand for the rest: tables, formulas and figures, the notebook, and the one figure
    # drawn by another hook (the benchmark's, on the Performance page). Material shows an
    # image whose address ends in #only-dark only in the dark scheme, #only-light only in the light.
    context = browser.new_context(color_scheme="dark", viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    try:
        page.goto(base_url + path, wait_until="networkidle")
        page.evaluate(LOAD_LAZY_IMAGES)
        shown = page.evaluate(
            """() => [...document.querySelectorAll('.md-content figure img')]
                 .filter(i => i.getBoundingClientRect().width > 0).map(i => i.getAttribute('src'))"""
        )
        # The notebook's own figures (light matplotlib output) are shown inverted, not as white panels.
        notebook_filters = page.evaluate(
            "() => [...document.querySelectorAll('.jp-RenderedImage img')].map(i => getComputedStyle(i).filter)"
        )
        page.add_script_tag(path=str(AXE))
        # A code block gets its keyboard stop when scrolled to (content.lazy), which the light
        # visit of every page checks; here the colours are what counts.
        axe = page.evaluate(AXE_RUN, ["scrollable-region-focusable"])
    finally:
        context.close()
    assert all(src.endswith("#only-dark") for src in shown), shown
    assert all("invert" in f for f in notebook_filters), notebook_filters
    assert (len(notebook_filters) > 0) == (path == "notebooks/iris/")
    assert [a for a in axe if a["impact"] in ("serious", "critical")] == []


def test_figures_open_at_full_size_on_tap(site):
    folder, _ = site
    page_html = (folder / "output-layer" / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'<a href="([^"]+)"><img\b[^>]*\ssrc="([^"]+)"', page_html)
    figures = [(href, src) for href, src in images if "figures/" in src]
    assert len(figures) >= 6, figures  # three figures, each light and dark
    assert all(src.split("#")[0] == href for href, src in figures), figures


@contextlib.contextmanager
def serving(browser, url: str, html: str):
    """A new phone-sized page on which ``url`` answers with ``html`` (closed on leaving the block)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route(url, lambda r: r.fulfill(status=200, content_type="text/html", body=html))
    try:
        yield context.new_page()
    finally:
        context.close()


def elements_restyled_while_loading(browser, url: str, html: str) -> int:
    """How many elements Chromium styles while ``url`` loads, with ``html`` served in its place.

    Summed from the style recalculations of Chromium's trace: a count of work, the same on a busy
    machine as on a quiet one (about 1 % apart from load to load), where a time would not be. Both
    pages compared are served the same way (whole, at once), since how the HTML arrives changes how
    often the browser styles the part parsed so far.
    """
    with serving(browser, url, html) as page:
        browser.start_tracing(page=page, categories=["devtools.timeline"])
        page.goto(url, wait_until="networkidle")
        events = json.loads(browser.stop_tracing())["traceEvents"]
    recalcs = [e["args"] for e in events if e["name"] == "UpdateLayoutTree"]
    return sum(args.get("elementCount") or 0 for args in recalcs)


TABLE_STYLE = r"""() => {
  const props = ['display', 'font-size', 'overflow-x', 'background-color', 'border-top', 'border-left',
                 'border-radius', 'padding', 'margin', 'text-align', 'font-weight', 'vertical-align',
                 'min-width', 'width', 'height'];
  const table = document.querySelector('.md-content table');
  const frame = table.parentElement.matches('.md-typeset__scrollwrap > .md-typeset__table');
  const style = el => props.map(p => getComputedStyle(el).getPropertyValue(p));
  return {frame, plain: !table.hasAttribute('class'),
          look: [table.closest('.md-typeset__scrollwrap'), table.parentElement, table, table.querySelector('th'),
                 table.querySelector('td')].map(el => el ? style(el) : null)};
}"""


def first_table(browser, url: str, html: str) -> dict:
    """Where the first table of ``url`` sits and how it is styled once loaded, with ``html`` served in its place."""
    with serving(browser, url, html) as page:
        page.goto(url, wait_until="networkidle")
        return page.evaluate(TABLE_STYLE)


def test_tables_are_framed_in_the_html_and_look_as_materials_own(browser, base_url, site):
    # The build writes each table into Material's scroll frame as table.framed
    # (lean_pages.frame_tables), so Material's script, which frames tables without a class once the
    # page has loaded, does not move them. Planted: the API reference with its tables as Material's
    # markup has them, framed by Material's script: the first table's computed styles (and its
    # frame's) are the same, and the page styles fewer elements while it loads.
    folder, _ = site
    bare = {path for path in PAGES if "<table>" in (folder / path / "index.html").read_text(encoding="utf-8")}
    assert bare == set()
    html = (folder / "reference" / "index.html").read_text(encoding="utf-8")
    assert html.count(lean.TABLE_FRAME) >= 20
    plain = re.sub(re.escape(lean.TABLE_FRAME) + r"(.*?</table>)</div></div>", r"<table>\1", html, flags=re.S)
    assert lean.TABLE_FRAME not in plain and lean.frame_tables(plain) == html
    url = base_url + "reference/"
    built, by_material = first_table(browser, url, html), first_table(browser, url, plain)
    assert built["frame"] and not built["plain"] and by_material["frame"] and by_material["plain"]
    assert built["look"] == by_material["look"]
    framed = elements_restyled_while_loading(browser, url, html)
    unframed = elements_restyled_while_loading(browser, url, plain)
    assert framed < 0.9 * unframed, (framed, unframed)


def test_every_image_has_its_size_in_the_html(site):
    folder, _ = site
    missing = []
    for path in PAGES:
        page_html = (folder / path / "index.html").read_text(encoding="utf-8")
        for tag in re.findall(r"<img\b[^>]*>", page_html[page_html.find("<article") :]):
            if not re.search(r'\swidth="\d+"', tag) or not re.search(r'\sheight="\d+"', tag):
                missing.append(f"{path}: {tag[:100]}")
    assert missing == []


def test_pages_with_figures_show_them(visits):
    # Each chapter figure twice (light and dark), one of them hidden by the scheme.
    assert visits("forward-pass/").images >= 2
    assert visits("output-layer/").images >= 6
    assert visits("notebooks/iris/").images == 3


# --- search, copying, the API reference --------------------------------------------------------

# A reader's query and the chapters where its answer is (the first result must be one of them).
SEARCHES = {
    "dC/dW": {"output-layer/", "hidden-layer/"},
    "∂C/∂W": {"output-layer/", "hidden-layer/"},
    "delta": {"output-layer/", "hidden-layer/"},
    # The VJP chapter states the softmax Jacobian in full before doing without it.
    "Jacobian of softmax": {"output-layer/", "training/softmax/", "autodiff/vjp/"},
    "total derivative": {"total-derivative/"},
}


def search(page, query: str) -> list[list[str]]:
    """The search results for ``query``, best first, each as [address, text shown]; [] when none."""
    page.locator(".md-search__input").fill("")
    page.locator(".md-search__input").click()
    page.keyboard.insert_text(query)
    page.keyboard.press("End")  # Material listens for key events
    # Material's count line says "No matching documents", "1 matching document" or "# matching documents".
    page.wait_for_function(
        "() => /matching document/.test(document.querySelector('.md-search-result__meta').textContent)",
        timeout=10_000,
    )
    page.wait_for_timeout(300)  # let the results for the whole query replace those of its start
    return page.eval_on_selector_all(
        ".md-search-result__item > a", "as => as.map(a => [a.getAttribute('href'), a.innerText])"
    )


def search_all(browser, url: str, plant=None) -> dict[str, list[list[str]]]:
    """Each query of SEARCHES typed into the search box of the page at ``url``.

    ``plant``, a function of a text, is applied to the text of every entry of the site's search index
    on its way to the browser: a planted fault (the site itself is not changed).
    """
    context = browser.new_context()
    if plant is not None:

        def planted(route):
            response = route.fetch()
            index = response.json()
            for doc in index["docs"]:
                doc["text"] = plant(doc["text"])
            route.fulfill(response=response, body=json.dumps(index))

        context.route("**/search/search_index.json", planted)
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        return {query: search(page, query) for query in SEARCHES}
    finally:
        context.close()


def search_problems(found: dict[str, list[list[str]]]) -> list[str]:
    """What is wrong with the results ``search_all`` found, as readable lines (empty when right):
    a query whose first result is not one of its chapters, no formula shown as text, TeX shown."""
    out = []
    for query, chapters in SEARCHES.items():
        results = found.get(query, [])
        first = results[0][0].split("#")[0].split("?")[0] if results else ""
        if not any(first.endswith(c) for c in chapters):
            out.append(f"search for {query!r} does not land on {sorted(chapters)}: {[r[0] for r in results[:3]]}")
    shown = " ".join(text for results in found.values() for _, text in results)
    if "∂C/∂" not in shown:
        out.append("no search result shows a derivative as text (∂C/∂...)")
    tex = re.findall(r"\\(?:frac|partial|mathbf)\b|\\\(", shown)
    if tex:
        out.append(f"search results show TeX: {tex[:5]}")
    return out


def test_search_finds_the_math_and_shows_it_as_text(browser, base_url):
    assert search_problems(search_all(browser, base_url)) == []


# Installed before any page script: records what Material's copy button puts on the clipboard
# (clipboard.js selects the text in a hidden field and asks for the "copy" command).
RECORD_COPIES = """(() => {
  window.__copied = [];
  const exec = document.execCommand.bind(document);
  document.execCommand = (command, ...rest) => {
    if (command === 'copy') window.__copied.push(String(getSelection()) || document.activeElement.value);
    return exec(command, ...rest);
  };
})()"""


def console_copies(browser, url: str, plant: str = "") -> tuple[list[str], list[str]]:
    """Each console block (a block with prompts) of the page at ``url``: the text shown, and what its
    copy button copies.

    ``plant``, HTML, is put at the end of the page's head on its way to the browser: a planted fault
    (the home page, the one with console blocks, has no copy beside it that keeps its relative links).
    """
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    context.add_init_script(RECORD_COPIES)
    if plant:

        def planted(route):
            response = route.fetch()
            route.fulfill(response=response, body=response.text().replace("</head>", plant + "</head>", 1))

        context.route(url, planted)
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        blocks = page.locator(".md-content .highlight:has(.gp)")
        shown = []
        for k in range(blocks.count()):
            block = blocks.nth(k)
            block.scroll_into_view_if_needed()
            shown.append(block.locator("code").inner_text())
            block.hover()
            block.locator(COPY_BUTTON).first.click()
            page.wait_for_function(f"() => window.__copied.length > {k}", timeout=5000)
        return shown, page.evaluate("() => window.__copied")
    finally:
        context.close()


def copy_problems(shown: list[str], copied: list[str]) -> list[str]:
    """What is wrong with ``console_copies``'s findings: a copy must be the block's commands (its
    lines after a "$ " prompt, without the prompt) and nothing else."""
    out = []
    if not any(line.startswith("$ ") for text in shown for line in text.splitlines()):
        out.append(f"no console block with a $ prompt: {shown}")
    if len(copied) != len(shown):
        out.append(f"{len(shown)} console blocks but {len(copied)} copies")
    for text, got in zip(shown, copied):
        expected = "\n".join(line[2:] for line in text.splitlines() if line.startswith("$ "))
        if got.strip() != expected:
            prompt = any(line.startswith("$ ") for line in got.splitlines())
            what = "includes the $ prompt" if prompt else "is not the block's commands"
            out.append(f"the copy of a console block {what}: {got.strip()[:80]!r}, expected {expected[:80]!r}")
    return out


def test_console_blocks_copy_the_commands_without_prompts(browser, base_url):
    assert copy_problems(*console_copies(browser, base_url)) == []


def test_api_reference_shows_every_default_as_the_code_has_it(site):
    # Each signature block under a heading of the API reference, and each "Default" cell of its
    # parameter tables, against inspect.signature of the object the heading names.
    import ast
    import html
    import inspect

    import backprop_derived as bp

    folder, _ = site
    page_html = (folder / "reference" / "index.html").read_text(encoding="utf-8")
    checked = []
    for name in ("train", "Network", "gradient_check", "numerical_jacobian", "numerical_gradients", "load_iris"):
        obj = getattr(bp, name)
        expected = {p.name: p.default for p in inspect.signature(obj).parameters.values() if p.default is not p.empty}
        start = page_html.index(f'id="backprop_derived.{name}"')
        section = page_html[start : page_html.find('<div class="doc doc-object', start + 1)]
        signature = re.search(r"<pre\b.*?</pre>", section, re.S)
        assert signature, f"{name}: no signature block"
        text = html.unescape(re.sub(r"<[^>]+>", "", signature[0]))
        shown = dict(re.findall(r"(\w+)\s*(?::[^=,()]+)?=\s*([^,)\n]+?)\s*(?:,|\)|\n)", text))
        assert {k: ast.literal_eval(shown[k]) if k in shown else "missing" for k in expected} == expected, (name, text)
        for row in re.findall(r"<tr\b.*?</tr>", section, re.S):
            cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td\b.*?</td>", row, re.S)]
            if len(cells) == 4 and cells[0] in expected:  # Name, Type, Description, Default
                assert ast.literal_eval(cells[3]) == expected[cells[0]], (name, cells)
                checked.append(f"{name}.{cells[0]}")
    assert "train.batch_size" in checked, checked


# --- site-wide -------------------------------------------------------------------------------


def test_a_code_block_gets_its_copy_button_when_it_is_scrolled_to(browser, base_url):
    # The other half of content.lazy: a block far down the page is not set up at load, which is the
    # point (test_code_blocks_have_copy_buttons checks that every block gets its button).
    page = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        page.goto(base_url + "output-layer/", wait_until="networkidle")
        last = page.locator(".md-content .highlight:not(details .highlight) pre").last
        before = last.locator(COPY_BUTTON).count()
        last.scroll_into_view_if_needed()
        last.locator(COPY_BUTTON).first.wait_for(state="attached", timeout=5000)
    finally:
        page.close()
    assert before == 0


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


LEGIBILITY = r"""() => {
  const lum = c => { const [r, g, b] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bg = getComputedStyle(document.querySelector('.md-main')).backgroundColor;
  const body = getComputedStyle(document.body).backgroundColor;
  const page = bg === 'rgba(0, 0, 0, 0)' ? body : bg;
  const math = getComputedStyle(document.querySelector('.md-content .katex')).color;
  const figures = [...document.querySelectorAll('.md-content figure img')]
    .filter(i => i.getBoundingClientRect().width > 0).map(i => i.getAttribute('src').split('#')[1]);
  return {scheme: document.body.getAttribute('data-md-color-scheme'), math_contrast: contrast(math, page), figures};
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


@pytest.mark.parametrize("width", [390, 1366])
def test_nothing_in_the_header_moves_while_the_page_loads(browser, base_url, width):
    # Shifts too small for the CLS limit still show: the colour toggle, shown before Material's
    # script showed the search button beside it, moved aside by a button's width.
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(base_url + "notation/", wait_until="networkidle")
        moved = page.evaluate(HEADER_SHIFTS)
    finally:
        context.close()
    assert moved == [], moved


def test_colour_toggle_switches_scheme_math_stays_legible_and_figures_follow(browser, base_url):
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
    assert light["figures"] and set(light["figures"]) == {"only-light"}, light
    assert dark["figures"] and set(dark["figures"]) == {"only-dark"}, dark


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


# --- the checks can fail: planted faults ------------------------------------------------------

# Each fault is planted into a copy of a page beside it (the same depth, so every relative asset URL
# still resolves): (page, old, new).
PLANTS = {
    # The control: an unplanted copy has no problems, so each fault below is what its case finds.
    "none": ("output-layer", "</head>", "</head>"),
    # A script from another host, as a CDN snippet would add.
    "external": (
        "notation",
        "</head>",
        '<script src="https://cdn.jsdelivr.net/npm/katex/dist/katex.min.js"></script></head>',
    ),
    # TeX outside any arithmatex element, left for a script to typeset.
    "raw-tex": ("notation", "<h1", r"<p>Left raw: \(\partial C / \partial W\)</p><h1"),
    # A script that logs an error.
    "console-error": ("notation", "</head>", "<script>console.error('planted error')</script></head>"),
    # A formula that reaches the reader as TeX in an arithmatex element, as before this build.
    "untypeset": ("notation", "<h1", r'<p><span class="arithmatex">\(a_j\)</span></p><h1'),
    # Client-side KaTeX loaded from the site itself.
    "katex-script": ("notation", "</head>", '<script src="../assets/katex/katex.min.js"></script></head>'),
    # Content pushed down after load, as a late formula or an image without a size does; after the
    # first contentful paint too (a change before any paint shifts nothing), whichever comes last.
    "layout-shift": (
        "notation",
        "</body>",
        "<script>addEventListener('load', () => new PerformanceObserver((list, observer) => {"
        " observer.disconnect(); requestAnimationFrame(() => document.querySelector('.md-content__inner')"
        ".prepend(Object.assign(document.createElement('div'), {style: 'height: 400px'}))); })"
        ".observe({type: 'paint', buffered: true}))</script></body>",
    ),
    # 450 KB of text that gzip cannot shrink below the budget.
    "heavy": ("notation", "</body>", "<!-- " + base64.b64encode(os.urandom(340_000)).decode() + " --></body>"),
    # KaTeX's own placement of equation numbers: at the right edge, over a formula as wide as the column.
    "tag-over-formula": (
        "hidden-layer",
        "</head>",
        "<style>.md-typeset .katex-display>.katex>.katex-html>.katex-tag{position:absolute}</style></head>",
    ),
    # Wide formulas and tables without their scroll cue; on a page with a formula wider than a phone
    # (the matrix row of equation (5): long derivations elsewhere are broken into lines and fit).
    "no-scroll-cue": ("hidden-layer", "</head>", "<style>.md-typeset div.arithmatex{background:none}</style></head>"),
    # Material's own rule for code: break anywhere, in tables too.
    "code-broken": (
        "notation",
        "</head>",
        "<style>.md-typeset code{word-break:break-all!important;white-space:normal!important}</style></head>",
    ),
}


def _plant_faults(site: Path) -> None:
    for name, (source, old, new) in PLANTS.items():
        original = (site / source / "index.html").read_text(encoding="utf-8")
        assert old in original
        target = site / f"planted-{name}" / "index.html"
        target.parent.mkdir()
        target.write_text(original.replace(old, new, 1), encoding="utf-8")


def test_the_unplanted_copy_has_no_problems(visits):
    assert problems(visits("planted-none/")) == []


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
        ("tag-over-formula", "at 390 px: equation number"),
        ("no-scroll-cue", "at 390 px: formula cut without a scroll cue"),
        ("code-broken", "at 390 px: code broken mid-word"),
    ],
)
def test_each_check_fails_when_its_fault_is_planted(visits, name, expected):
    # A planted copy is checked without axe-core, and at the three widths only for a fit fault.
    found = problems(visits(f"planted-{name}/"))
    assert any(p.startswith(expected) for p in found), found


FIT_PLANTS = {"tag-over-formula", "no-scroll-cue", "code-broken"}


# Faults of the search index, planted on its way to the browser (search_all): formulas as raw TeX, as
# the index had them before the build gave their text; and without the short forms (dC/dW) of each
# ratio of partial derivatives.
SEARCH_PLANTS = {
    "raw-tex": lambda text: re.sub(r"∂(\w+)/∂(\w+)", r"\\frac{\\partial \1}{\\partial \2}", text).replace(
        "∂", "\\partial "
    ),
    "no-short-form": lambda text: re.sub(r"(?<![\w/∂])d[A-Za-zα-ωΑ-Ω]/d[A-Za-zα-ωΑ-Ω]\w*", "", text),
}


@pytest.mark.parametrize(
    "name, expected", [("raw-tex", "search results show TeX"), ("no-short-form", "search for 'dC/dW' does not land")]
)
def test_search_check_fails_when_its_fault_is_planted(browser, base_url, name, expected):
    found = search_problems(search_all(browser, base_url, plant=SEARCH_PLANTS[name]))
    assert any(p.startswith(expected) for p in found), found


# Console blocks copied with their prompts, as Material's copy button does by itself.
COPY_PLANT = "<style>.highlight code[data-md-copying] .gp{display:inline!important}</style>"


def test_copy_check_fails_when_the_prompt_is_copied(browser, base_url):
    # The same page unplanted: test_console_blocks_copy_the_commands_without_prompts.
    found = copy_problems(*console_copies(browser, base_url, plant=COPY_PLANT))
    assert any(p.startswith("the copy of a console block includes the $ prompt") for p in found), found


# --- screenshots, by hand: python tests/test_browser.py screenshots FOLDER ---------------------


def screenshots(folder: Path) -> None:
    """Every page, full length, on a phone (390 px, 3x) and a desktop (1366 px), light and dark."""
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(site_speed.GzipHandler, directory=out))
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        site_speed.build(Path(out), url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        folder.mkdir(parents=True, exist_ok=True)
        with sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for path in PAGES:
                for device, size in (("phone", dict(width=390, height=844)), ("desktop", dict(width=1366, height=900))):
                    for scheme in ("light", "dark"):
                        phone = device == "phone"
                        context = b.new_context(
                            viewport=size, color_scheme=scheme, device_scale_factor=2 if phone else 1, is_mobile=phone
                        )
                        page = context.new_page()
                        page.goto(url + path, wait_until="networkidle")
                        page.evaluate(LOAD_LAZY_IMAGES)
                        name = path.strip("/").replace("/", "_") or "index"
                        page.screenshot(path=str(folder / f"{name}-{device}-{scheme}.png"), full_page=True)
                        context.close()
            b.close()
        server.shutdown()


if __name__ == "__main__" and sys.argv[1:2] == ["screenshots"]:
    screenshots(Path(sys.argv[2]))
