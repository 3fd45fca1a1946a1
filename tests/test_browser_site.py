"""The site-wide checks of the built site in Chromium: the dark scheme on six pages, figures that
open at full size, tables framed in the HTML, search that finds the math and shows it as text,
console blocks copied without prompts, the API reference's defaults, code blocks set up when
scrolled to, the notebook downloads, and the colour scheme (toggle, system preference, nothing in the
header moving). Planted faults in the search index and in a console block show that those checks can
fail. The site is the one ``tests/test_browser.py`` loads page by page (``browser_harness``).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request

import pytest

from browser_harness import (
    AXE,
    AXE_RUN,
    CHROMIUM,
    COPY_BUTTON,
    LOAD_LAZY_IMAGES,
    PAGES,
    ROOT,
    SKIP_WITHOUT_CHROMIUM,
    WIDTHS,
    lean,
)

if CHROMIUM is None:
    pytest.skip(SKIP_WITHOUT_CHROMIUM, allow_module_level=True)


@pytest.mark.parametrize(
    "path", ["notation/", "forward-pass/", "output-layer/", "notebooks/iris/", "performance/", "autodiff/memory/"]
)
def test_dark_scheme_is_accessible_and_shows_the_dark_figures(browser, base_url, path):
    # Six pages stand for the rest: tables, formulas and figures, the notebook, the one figure drawn
    # by another hook (the benchmark's, on the Performance page), and two links around inline code. Material shows an
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
        axe = page.evaluate(AXE_RUN, {"skip": ["scrollable-region-focusable"], "mathContrast": True})
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
        # Material's script frames a bare table once it has run; on a busy machine that can come after
        # the network is idle, so wait for the frame itself (a page whose table never gets one fails here).
        page.wait_for_function(f"() => ({TABLE_STYLE})().frame", timeout=60_000)
        return page.evaluate(TABLE_STYLE)


def test_tables_are_framed_in_the_html_and_look_as_materials_own(browser, base_url, site):
    # The build writes each table into Material's scroll frame as table.framed
    # (lean_pages.frame_tables), so Material's script, which frames tables without a class once the
    # page has loaded, does not move them. Planted: the API reference with its tables as Material's
    # markup has them, framed by Material's script: the first table's computed styles (and its
    # frame's) are the same. What the frames save (style and layout work while the page loads) is
    # measured by the site-speed benchmark, not here: how often Chromium restyles depends on the
    # machine's load, and a count of it twice the quiet one was seen on a busy machine.
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


def test_every_image_has_its_size_in_the_html(site):
    folder, _ = site
    missing = []
    for path in PAGES:
        page_html = (folder / path / "index.html").read_text(encoding="utf-8")
        for tag in re.findall(r"<img\b[^>]*>", page_html[page_html.find("<article") :]):
            if not re.search(r'\swidth="\d+"', tag) or not re.search(r'\sheight="\d+"', tag):
                missing.append(f"{path}: {tag[:100]}")
    assert missing == []


# --- search, copying, the API reference --------------------------------------------------------

# A reader's query and the chapters where its answer is (the first result must be one of them).
SEARCHES = {
    "dC/dW": {"output-layer/", "output-layer-assembled/", "hidden-layer/"},
    "∂C/∂W": {"output-layer/", "output-layer-assembled/", "hidden-layer/"},
    "delta": {"output-layer/", "output-layer-assembled/", "hidden-layer/"},
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
