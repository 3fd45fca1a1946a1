"""What the two browser test files share: the Chromium they drive, the site built once per test run
and served on 127.0.0.1, the planted copies of pages beside it, and the scripts both run in a page.

``tests/test_browser.py`` loads every page (and every planted copy); ``tests/test_browser_site.py``
checks what is site-wide (search, copying, the colour scheme, the API reference, the notebook). They
are two files so that pytest-xdist runs them on two workers at once; whichever asks first builds the
site, into the run's shared temporary folder, and the other waits for it (``built_site``).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, load_module

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (part of the test extra)")
async_api = pytest.importorskip("playwright.async_api")


def find_chromium() -> str | None:
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


CHROMIUM = find_chromium()
SKIP_WITHOUT_CHROMIUM = (
    "Chromium is not installed, so the browser tests are skipped. On Debian: "
    "sudo apt-get install -y chromium; elsewhere: python -m playwright install chromium"
)

AXE = ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# One home for the nav reader and the gzip server: the site-speed benchmark's.
site_speed = load_module("site_speed", ROOT / "benchmarks" / "site_speed.py")
lean = load_module("lean_pages", ROOT / "docs" / "hooks" / "lean_pages.py")
PAGES = [path for _, path in site_speed.nav_pages()]


# The address the build is given for ``site_url`` (mkdocs.yml reads ``SITE_URL`` with ``!ENV``): the
# sitemap and canonical links name this host; each worker serves the folder on a port of its own.
SITE_URL = "http://127.0.0.1/"


def built_site(tmp_path_factory) -> Path:
    """The site built strictly once per test run, with the planted copies beside it; its folder.

    Under pytest-xdist the folder is in the run's temporary folder, shared by the workers: the first
    to get here builds, the others wait for its verdict. Nothing is written into the checkout.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    out, verdict = base / "browser-site", base / "browser-site.verdict"
    try:
        (base / "browser-site.lock").mkdir()  # atomic: exactly one worker builds
    except FileExistsError:
        deadline = time.monotonic() + 900
        while not verdict.exists():
            assert time.monotonic() < deadline, "the worker building the site did not finish within 15 min"
            time.sleep(0.5)
    else:
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SITE_URL=SITE_URL)
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode == 0:
            plant_faults(out)
        verdict.write_text("built" if result.returncode == 0 else result.stderr[-4000:], encoding="utf-8")
    message = verdict.read_text(encoding="utf-8")
    assert message == "built", message
    return out


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve ``folder`` with gzip on 127.0.0.1 inside the ``with`` block; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(site_speed.GzipHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def launched() -> Iterator:
    """Chromium, launched with CHROMIUM_ARGS, inside the ``with`` block."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


COPY_BUTTON = '[data-md-type="copy"], .md-clipboard'

LOAD_LAZY_IMAGES = r"""async () => {
  for (const img of document.querySelectorAll('.md-content img')) {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) { /* a broken image: IMAGE_PROBE reports it */ }
  }
}"""

# axe-core on the page: ``skip`` lists rules left out; with ``mathContrast`` false, colour contrast is
# not computed for the spans inside KaTeX's formulas, which take their colour from the text around
# them (about a fifth of axe's time on the pages with the most formulas, measured). The pages that
# keep it (notation, in both schemes, and the output layer in the dark) check that colour once for
# the whole site's formulas.
MATH_CONTRAST_PAGES = ("notation/",)
AXE_RUN = r"""async ({skip, mathContrast}) => {
  // Material's header fades its title in and out as the page loads and scrolls: let that end.
  await new Promise(r => setTimeout(r, 300));
  // (only animations that end: one that repeats forever, like Material's pulse, would never settle)
  await Promise.all(document.getAnimations()
    .filter(a => a.effect && Number.isFinite(a.effect.getComputedTiming().endTime))
    .map(a => a.finished.catch(() => null)));
  if (!mathContrast) {  // the matcher of the vendored axe-core's rule, told to pass over formula spans
    const rule = axe._audit.rules.find(r => r.id === 'color-contrast');
    const matches = rule.matches;
    rule.matches = function (node, vNode, context) {
      return !node.closest('.katex') && matches.call(this, node, vNode, context);
    };
  }
  const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
  const result = await axe.run(document, {resultTypes: ['violations'], rules});
  return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                      target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


# Widths a page is checked at: a phone (390 px, as an iPhone 12 to 15 in portrait), a laptop and a
# large screen. The page is loaded once, at the first, and resized to the others.
WIDTHS = (1366, 1920, 390)

# --- planted faults, for the checks of tests/test_browser.py to find -------------------------------

# Each fault is planted into a copy of a page beside it (the same depth, so every relative asset URL
# still resolves): (page, old, new).
PLANTS = {
    # The control: an unplanted copy of the page most faults go into has no problems, so each fault
    # below is what its case finds. Faults that do not need a page's formulas or tables go into the
    # short site page: a copy of a long page costs the run seconds of layout for nothing.
    "none": ("site", "</head>", "</head>"),
    # A script from another host, as a CDN snippet would add.
    "external": (
        "site",
        "</head>",
        '<script src="https://cdn.jsdelivr.net/npm/katex/dist/katex.min.js"></script></head>',
    ),
    # TeX outside any arithmatex element, left for a script to typeset.
    "raw-tex": ("site", "<h1", r"<p>Left raw: \(\partial C / \partial W\)</p><h1"),
    # A script that logs an error.
    "console-error": ("site", "</head>", "<script>console.error('planted error')</script></head>"),
    # A formula that reaches the reader as TeX in an arithmatex element, as before this build.
    "untypeset": ("site", "<h1", r'<p><span class="arithmatex">\(a_j\)</span></p><h1'),
    # Client-side KaTeX loaded from the site itself.
    "katex-script": ("site", "</head>", '<script src="../assets/katex/katex.min.js"></script></head>'),
    # Content pushed down after load, as a late formula or an image without a size does; after the
    # first contentful paint too (a change before any paint shifts nothing), whichever comes last.
    "layout-shift": (
        "site",
        "</body>",
        "<script>addEventListener('load', () => new PerformanceObserver((list, observer) => {"
        " observer.disconnect(); requestAnimationFrame(() => document.querySelector('.md-content__inner')"
        ".prepend(Object.assign(document.createElement('div'), {style: 'height: 400px'}))); })"
        ".observe({type: 'paint', buffered: true}))</script></body>",
    ),
    # 450 KB of text that gzip cannot shrink below the budget.
    "heavy": ("site", "</body>", "<!-- " + base64.b64encode(os.urandom(340_000)).decode() + " --></body>"),
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


def plant_faults(site: Path) -> None:
    for name, (source, old, new) in PLANTS.items():
        original = (site / source / "index.html").read_text(encoding="utf-8")
        assert old in original
        target = site / f"planted-{name}" / "index.html"
        target.parent.mkdir()
        target.write_text(original.replace(old, new, 1), encoding="utf-8")
