"""Every page of the built site in Chromium, driven by Playwright and served with gzip from 127.0.0.1.

The site is built once per test run (``browser_harness.built_site``), and every page in the navigation
is loaded once (light scheme, 1366 px wide) and then resized to 1920 and 390 px (a phone). On each:
HTTP 200 and a title, no console error, no failed request, no request to another host, the raw HTML
holding every formula already typeset (no KaTeX script, no unrendered TeX), no layout shift over
0.02 while it loads, at most 450 KiB gzipped with all it loads, a copy button on every code block,
every image loaded and described, no serious or critical axe-core violation; and at every width:
no equation number over its formula, no formula, table or notebook output cut without a scroll cue
and a keyboard stop, no code name broken mid-word, nothing sticking out of the page sideways.
Planted faults, in copies of a page beside an unplanted control copy, show that the checks can
fail; a planted test calls the same check function as the real one. What is site-wide (search,
copying, the colour scheme, the dark scheme, the API reference, the notebook downloads) is checked
by ``tests/test_browser_site.py``, on a second worker at the same time.

The browser is ``$CHROMIUM`` if set, else Debian's ``chromium``, else Playwright's own download.
Screenshots of every page (phone and desktop, light and dark) come from
``python tests/test_browser.py screenshots FOLDER``, not from the tests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser_harness import (
    AXE,
    AXE_RUN,
    CHROMIUM,
    CHROMIUM_ARGS,
    COPY_BUTTON,
    LOAD_LAZY_IMAGES,
    MATH_CONTRAST_PAGES,
    PAGES,
    PLANTS,
    SKIP_WITHOUT_CHROMIUM,
    WIDTHS,
    async_api,
    launched,
    served,
    site_speed,
)

if CHROMIUM is None:
    pytest.skip(SKIP_WITHOUT_CHROMIUM, allow_module_level=True)

# Bytes on the wire (gzip) for a page and everything it loads. A figure on the first screen, drawn
# for 2x screens, is up to 100 KiB of it (the computational graph on the page about the sum over
# paths), and the search index, fetched once and cached for every page, 182 KiB (it grows with the
# text of all pages): that page weighs 441 KiB in all (December 2026).
TRANSFER_BUDGET = 450 * 1024
CLS_LIMIT = 0.02
PLACEHOLDER_ALT = "No description has been provided for this image"


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
  window.__shifts = [];  // [start time, value] of each shift
  window.__fontsDone = 0;  // when the page's web fonts last finished loading
  document.fonts.addEventListener('loadingdone', () => { window.__fontsDone = performance.now(); });
  window.__moved = [];  // what moved, so that a failure says which element and by how much
  const name = n => !n ? '?' : n.nodeType === 1
    ? n.localName + (n.id ? '#' + n.id : '') + (n.className && n.className.baseVal === undefined
      ? '.' + String(n.className).trim().split(/\s+/).join('.') : '')
    : '#text "' + (n.textContent || '').trim().slice(0, 30) + '"';
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      window.__shifts.push([e.startTime, e.value]);
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
  // only after that frame, so reading __shifts in the second frame's callback could miss it.
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const sum = shifts => shifts.reduce((s, [, v]) => s + v, 0);
  return {cls: sum(window.__shifts), moved: window.__moved.slice(0, 5),
          clsAfterFonts: sum(window.__shifts.filter(([t]) => t > window.__fontsDone)),
          transfer: entries.reduce((s, e) => s + (e.transferSize || 0), 0),
          scripts: performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script')
                   .map(e => e.name)};
}"""


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
        result.transfer, result.scripts = settled["transfer"], settled["scripts"]
        cls = settled["cls"]
        if cls > CLS_LIMIT:
            # On a busy machine the first layout can come before the fonts are decoded, even cached
            # ones (KaTeX's font-display: block lays text out in the fallback's metrics until then),
            # and a table cell then re-wraps when they arrive: a shift of the machine's timing, which
            # the throttled benchmark and Lighthouse measure. The page's own shifts (content put in
            # after load, an image without its size) come back on a second load after its fonts have
            # loaded, and only those are counted there.
            await page.reload(wait_until="networkidle")
            settled = await page.evaluate(SETTLED)
            cls = settled["clsAfterFonts"]
        result.cls, result.moved = cls, settled["moved"]
        result.math = await page.evaluate(MATH_PROBE)
        result.code_blocks, result.uncopyable_blocks = await page.evaluate(COPY_PROBE, COPY_BUTTON)
        result.images = await page.evaluate("() => document.querySelectorAll('.md-content img').length")
        await page.evaluate(LOAD_LAZY_IMAGES)  # after the measurements above, as a reader scrolling down would
        result.bad_images = await page.evaluate(IMAGE_PROBE, PLACEHOLDER_ALT)
        if axe:  # once every code block has been scrolled to, and so set up (content.lazy)
            await page.add_script_tag(path=str(AXE))
            math_contrast = urlparse(url).path.endswith(MATH_CONTRAST_PAGES)
            result.axe = await page.evaluate(AXE_RUN, {"skip": [], "mathContrast": math_contrast})
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
# A visit takes seconds (under a minute on a loaded machine). One that has not ended after this long
# is a renderer that stopped answering (seen once in CI: a page's probe never returned, the whole
# session hung until its timeout); it is abandoned and made once more in a fresh context, and a page
# whose second visit hangs too fails, named.
VISIT_TIMEOUT = 240


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
                    for _ in range(2):
                        try:
                            return url, await asyncio.wait_for(visit(b, url, **options), VISIT_TIMEOUT)
                        except TimeoutError:
                            continue
                    raise TimeoutError(f"{url}: two visits did not end within {VISIT_TIMEOUT} s each")

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


def test_pages_with_figures_show_them(visits):
    # Each chapter figure twice (light and dark), one of them hidden by the scheme.
    assert visits("forward-pass/").images >= 2
    assert visits("output-layer/").images >= 6  # steps II and III: three figures
    assert visits("output-layer-assembled/").images == 0  # step IV on: formulas and code, no figure
    assert visits("notebooks/iris/").images == 3


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


# --- screenshots, by hand: python tests/test_browser.py screenshots FOLDER ---------------------


def screenshots(folder: Path) -> None:
    """Every page, full length, on a phone (390 px, 2x) and a desktop (1366 px), light and dark."""
    import tempfile

    with tempfile.TemporaryDirectory() as out, served(Path(out)) as url:
        site_speed.build(Path(out), url)
        folder.mkdir(parents=True, exist_ok=True)
        with launched() as b:
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


if __name__ == "__main__" and sys.argv[1:2] == ["screenshots"]:
    screenshots(Path(sys.argv[2]))
