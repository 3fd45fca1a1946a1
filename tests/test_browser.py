"""The built site in a real browser: Debian's Chromium driven by Playwright, served from 127.0.0.1.

For every page in the navigation: HTTP 200 and a title, no console error, no failed request, no
request to another host, all math typeset, a copy button on every code block, every image loaded
and described, and no serious or critical axe-core violation. Site-wide: search, instant
navigation, the colour-scheme toggle. Screenshots of every page in both schemes go to
``screenshots/`` (git-ignored). Three planted faults show that the checks can fail.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (part of the test extra)")


def _find_chromium() -> str | None:
    """$CHROMIUM, else Debian's chromium, else a browser that `playwright install` downloaded."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
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
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
PLACEHOLDER_ALT = "No description has been provided for this image"


def nav_pages() -> list[str]:
    """The URL path of every page in mkdocs.yml's nav, in order."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def walk(items):
        for item in items:
            for value in item.values():
                yield from walk(value) if isinstance(value, list) else [value]

    paths = []
    for src in walk(nav):
        stem = src.rsplit(".", 1)[0]
        paths.append("" if stem == "index" else stem.removesuffix("/index") + "/")
    return paths


PAGES = nav_pages()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site strictly into a temporary folder and serve it on 127.0.0.1; yield (folder, URL).

    Material's instant navigation only takes over links listed in sitemap.xml under ``site_url``,
    so the build inherits mkdocs.yml with ``site_url`` set to the local server's address.
    """
    out = tmp_path_factory.mktemp("site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    config = ROOT / f".mkdocs-browser-test-{os.getpid()}.yml"
    config.write_text(f"INHERIT: mkdocs.yml\nsite_url: {url}\n", encoding="utf-8")
    try:
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        config.unlink()
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

COPY_PROBE = r"""() => {
  const root = document.querySelector('.md-content');
  const blocks = [...root.querySelectorAll('.highlight pre')].filter(p => !p.closest('.jupyter-wrapper'));
  const missing = blocks.filter(p => !p.querySelector('[data-md-type="copy"], .md-clipboard')).length;
  const cells = [...root.querySelectorAll('.jp-CodeCell .jp-InputArea')];
  const missingCells = cells.filter(c => !c.querySelector('clipboard-copy')).length;
  return [blocks.length + cells.length, missing + missingCells];
}"""

IMAGE_PROBE = r"""(placeholder) => [...document.querySelectorAll('.md-content img')].map(img => ({
  src: img.src.slice(0, 80),
  ok: img.complete && img.naturalWidth > 0,
  alt: (img.getAttribute('alt') || '').trim(),
})).filter(i => !i.ok || !i.alt || i.alt === placeholder).map(i => i.src + ' alt=' + JSON.stringify(i.alt))"""

AXE_RUN = r"""async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                      target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def _typeset(page) -> None:
    # Rendering runs on Material's document$; wait until no arithmatex element is left unrendered.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))",
        timeout=10_000,
    )


def visit(browser, url: str, scheme: str = "light", screenshot: Path | None = None, axe: bool = False) -> Visit:
    result = Visit()
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
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
    page.on("response", lambda r: result.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="networkidle")
        result.status = response.status if response else None
        result.title = page.title()
        try:
            _typeset(page)
        except sync_api.TimeoutError:
            pass  # reported through result.math below
        result.math = page.evaluate(MATH_PROBE)
        result.code_blocks, result.uncopyable_blocks = page.evaluate(COPY_PROBE)
        result.images = page.evaluate("() => document.querySelectorAll('.md-content img').length")
        result.bad_images = page.evaluate(IMAGE_PROBE, PLACEHOLDER_ALT)
        if axe:
            page.add_script_tag(path=str(AXE))
            result.axe = page.evaluate(AXE_RUN)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return result


@pytest.fixture(scope="session")
def visits(browser, base_url):
    """Each page, visited once per colour scheme, with a screenshot of each."""
    cache: dict[tuple[str, str], Visit] = {}

    def get(path: str, scheme: str = "light") -> Visit:
        if (path, scheme) not in cache:
            name = path.strip("/").replace("/", "_") or "index"
            cache[path, scheme] = visit(browser, base_url + path, scheme,
                                        screenshot=SCREENSHOTS / f"{name}-{scheme}.png", axe=True)
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


def test_instant_navigation_retypesets_math(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(base_url, wait_until="networkidle")
        page.evaluate("() => { window.__notReloaded = true; }")
        page.locator(".md-nav__link", has_text="Gradients of the hidden layer").first.click()
        page.wait_for_url("**/hidden-layer/")
        assert page.evaluate("() => window.__notReloaded === true"), "navigation reloaded the page"
        _typeset(page)
        m = page.evaluate(MATH_PROBE)
        assert m["katex"] > 10 and m["unrendered"] == 0 and m["raw"] == []
    finally:
        page.close()


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


def test_colour_toggle_switches_scheme_and_keeps_math_and_figures_legible(browser, base_url):
    page = browser.new_page(color_scheme="light")
    try:
        page.goto(base_url + "output-layer/", wait_until="networkidle")
        _typeset(page)
        light = page.evaluate(LEGIBILITY)
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
        dark = page.evaluate(LEGIBILITY)
    finally:
        page.close()
    assert light["scheme"] == "default" and dark["scheme"] == "slate"
    for state in (light, dark):
        assert state["math_contrast"] >= 4.5, state
        assert state["figure_background"] == "rgb(255, 255, 255)", state  # figures sit on white


# --- the checks can fail: planted faults ------------------------------------------------------

PLANTS = {
    # A script from another host, as a CDN snippet would add.
    "external": ("</head>", '<script src="https://cdn.jsdelivr.net/npm/katex/dist/katex.min.js"></script></head>'),
    # TeX outside any arithmatex element: the renderer never sees it.
    "raw-tex": ("<h1", r"<p>Left raw: \(\partial C / \partial W\)</p><h1"),
    # A script that logs an error.
    "console-error": ("</head>", "<script>console.error('planted error')</script></head>"),
}


def _plant_faults(site: Path) -> None:
    original = (site / "notation" / "index.html").read_text(encoding="utf-8")
    for name, (old, new) in PLANTS.items():
        assert old in original
        target = site / "planted" / name / "index.html"
        target.parent.mkdir(parents=True)
        # Same depth as notation/, so every relative asset URL still resolves.
        target.write_text(original.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("name, expected", [
    ("external", "request to another host: https://cdn.jsdelivr.net/"),
    ("raw-tex", "raw TeX visible"),
    ("console-error", "console error: planted error"),
])
def test_each_check_fails_when_its_fault_is_planted(browser, base_url, name, expected):
    found = problems(visit(browser, f"{base_url}planted/{name}/"))
    assert any(p.startswith(expected) for p in found), found
